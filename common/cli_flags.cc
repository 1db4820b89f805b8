#include "common/cli_flags.h"

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace ptc {
namespace {

bool IsBoolFlag(const std::string& name) {
  const absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
  return f != nullptr && f->IsOfType<bool>();
}

}  // namespace

std::vector<std::string> NormalizeFlagDashes(std::vector<std::string>& args) {
  std::vector<std::string> seen;
  bool value_next = false;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (value_next) {
      value_next = false;
      continue;
    }
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    const size_t dashes = a[1] == '-' ? 2 : 1;
    const size_t eq = a.find('=');
    const std::string name =
        a.substr(dashes, eq == std::string::npos ? std::string::npos : eq - dashes);
    const std::string underscored = absl::StrReplaceAll(name, {{"-", "_"}});
    const bool negated = absl::StartsWith(underscored, "no") && IsBoolFlag(underscored.substr(2));
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(underscored);
    if (flag == nullptr && !negated) continue;  // not ours: absl reports unknown flags
    a = absl::StrCat(a.substr(0, dashes), underscored, eq == std::string::npos ? "" : a.substr(eq));
    value_next = eq == std::string::npos && !negated && !IsBoolFlag(underscored);
    seen.push_back(negated ? underscored.substr(2) : underscored);
  }
  return seen;
}

std::vector<char*> NormalizeFlagDashes(int argc, char** argv, std::vector<std::string>* storage) {
  storage->assign(argv, argv + argc);
  NormalizeFlagDashes(*storage);
  std::vector<char*> out;
  for (std::string& s : *storage) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace ptc
