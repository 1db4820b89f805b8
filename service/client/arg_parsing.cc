#include "service/client/arg_parsing.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace ptc::client {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": \"", text, "\" is not ", what));
}

}  // namespace

absl::StatusOr<uint32_t> ParsePositiveUint32(absl::string_view flag, absl::string_view text) {
  uint32_t v = 0;
  // SimpleAtoi accepts a leading '+' and surrounding spaces; a plain decimal is all we take.
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
  if (!digits || !absl::SimpleAtoi(text, &v) || v == 0) {
    return Bad(flag, text, "a positive integer");
  }
  return v;
}

absl::StatusOr<uint64_t> ParseUint64(absl::string_view flag, absl::string_view text) {
  uint64_t v = 0;
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
  if (!digits || !absl::SimpleAtoi(text, &v)) return Bad(flag, text, "a non-negative integer");
  return v;
}

absl::StatusOr<float> ParseFloat(absl::string_view flag, absl::string_view text) {
  float v = 0;
  if (!absl::SimpleAtof(text, &v) || !std::isfinite(v)) return Bad(flag, text, "a number");
  return v;
}

absl::StatusOr<std::vector<uint32_t>> ParseNList(absl::string_view flag, absl::string_view text) {
  std::vector<uint32_t> out;
  std::set<uint32_t> seen;
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": empty list"));
  }
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    auto n = ParsePositiveUint32(flag, item);
    if (!n.ok()) return n.status();
    if (!seen.insert(*n).second) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", *n, " is given twice"));
    }
    out.push_back(*n);
  }
  return out;
}

absl::StatusOr<std::vector<uint32_t>> ParseUintList(absl::string_view flag,
                                                    absl::string_view text) {
  std::vector<uint32_t> out;
  std::set<uint32_t> seen;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    uint32_t v = 0;
    const bool digits = !item.empty() && item.find_first_not_of("0123456789") == item.npos;
    if (!digits || !absl::SimpleAtoi(item, &v)) return Bad(flag, item, "a non-negative integer");
    if (!seen.insert(v).second) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", v, " is given twice"));
    }
    out.push_back(v);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseNameList(absl::string_view flag,
                                                       absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) return std::vector<std::string>{""};
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": an empty item in \"", text, "\""));
    }
    if (!seen.insert(std::string(item)).second) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", item, " is given twice"));
    }
    out.emplace_back(item);
  }
  return out;
}

absl::StatusOr<std::vector<v1::StopRule>> ParseStopList(absl::string_view flag,
                                                        absl::string_view text) {
  std::vector<v1::StopRule> out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const size_t colon = item.find(':');
    const absl::string_view name = item.substr(0, colon);
    const absl::string_view value =
        colon == absl::string_view::npos ? absl::string_view() : item.substr(colon + 1);
    v1::StopRule rule;
    if (name == "fixed" && value.empty()) {
      rule.mutable_fixed();
    } else if (name == "ac" || name == "adaptive_consistency") {
      auto* ac = rule.mutable_adaptive_consistency();
      if (!value.empty()) {
        auto t = ParseFloat(flag, value);
        if (!t.ok()) return t.status();
        ac->set_threshold(*t);
      }
    } else if (name == "esc") {
      auto* esc = rule.mutable_esc();
      if (!value.empty()) {
        auto w = ParsePositiveUint32(flag, value);
        if (!w.ok()) return w.status();
        esc->set_window(*w);
      }
    } else if (name == "deepconf" || name == "deepconf_online") {
      // deepconf[:WARMUP[:WINDOW[:CONSENSUS]]]
      auto* d = rule.mutable_deepconf_online();
      if (!value.empty()) {
        std::vector<absl::string_view> parts = absl::StrSplit(value, ':');
        if (parts.size() > 3) {
          return absl::InvalidArgumentError(
              absl::StrCat("--", flag, ": \"", item, "\": deepconf[:WARMUP[:WINDOW[:CONSENSUS]]]"));
        }
        auto warmup = ParsePositiveUint32(flag, parts[0]);
        if (!warmup.ok()) return warmup.status();
        d->set_warmup(*warmup);
        if (parts.size() >= 2) {
          auto window = ParsePositiveUint32(flag, parts[1]);
          if (!window.ok()) return window.status();
          d->set_window_tokens(*window);
        }
        if (parts.size() == 3) {
          auto consensus = ParseFloat(flag, parts[2]);
          if (!consensus.ok()) return consensus.status();
          d->set_consensus(*consensus);
        }
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": \"", item,
                       "\" is not a stop rule (fixed, ac[:threshold], esc[:window], "
                       "deepconf[:warmup[:window[:consensus]]])"));
    }
    out.push_back(std::move(rule));
  }
  return out;
}

absl::StatusOr<v1::LaunchPolicy> ParseLaunch(absl::string_view flag, absl::string_view text) {
  v1::LaunchPolicy launch;
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return launch;
  if (text == "all") {
    launch.mutable_all_at_once();
    return launch;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts[0] == "waves" && (parts.size() == 2 || parts.size() == 3)) {
    auto size = ParsePositiveUint32(flag, parts[1]);
    if (!size.ok()) return size.status();
    launch.mutable_waves()->set_size(*size);
    if (parts.size() == 3) {
      auto first = ParsePositiveUint32(flag, parts[2]);
      if (!first.ok()) return first.status();
      launch.mutable_waves()->set_first(*first);
    }
    return launch;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": \"", text, "\" is not all, waves:K or waves:K:FIRST"));
}

bool ParseCommandOptions(const std::string& command, const std::vector<std::string>& argv,
                         const std::map<std::string, std::string*>& options, std::ostream& err) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.substr(0, 2) != "--") {
      err << "ptc " << command << ": unexpected argument \"" << a << "\"\n";
      return false;
    }
    const size_t eq = a.find('=');
    const std::string name = absl::StrReplaceAll(a.substr(2, eq - 2), {{"-", "_"}});
    auto it = options.find(name);
    if (it == options.end()) {
      err << "ptc " << command << ": --" << a.substr(2, eq - 2)
          << " is not an option of this command (see ptc " << command << " --help)\n";
      return false;
    }
    if (eq != std::string::npos) {
      *it->second = a.substr(eq + 1);
    } else if (i + 1 < argv.size()) {
      *it->second = argv[++i];
    } else {
      err << "ptc " << command << ": --" << a.substr(2) << " needs a value\n";
      return false;
    }
  }
  return true;
}

bool WriteFileAtomically(const std::string& command, const std::string& path,
                         const std::string& bytes, std::ostream& err) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) {
      err << "ptc " << command << ": cannot write " << tmp << "\n";
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    err << "ptc " << command << ": cannot rename " << tmp << " to " << path << ": " << ec.message()
        << "\n";
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace ptc::client
