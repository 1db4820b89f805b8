#include "aggregators/extract/regex.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/text_util.h"
#include "re2/re2.h"

namespace ptc::extract_internal {
namespace {

constexpr std::string_view kPatternField = "answer_format.regex.pattern";

class RegexExtractor final : public AnswerExtractor {
 public:
  RegexExtractor(std::unique_ptr<RE2> re, std::unique_ptr<RE2> latest)
      : re_(std::move(re)), latest_(std::move(latest)) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    const re2::StringPiece input(text.data(), text.size());
    Scan scan;
    re2::StringPiece groups[2];
    if (!ScanFrom(input, 0, latest_ != nullptr ? kMaxSearches : SIZE_MAX, &scan) &&
        latest_->Match(input, 0, input.size(), RE2::ANCHOR_START, groups, 2)) {
      // Many matches: go on from close to the match that starts last.
      const size_t latest = static_cast<size_t>(groups[1].data() - input.data());
      const size_t nl = latest == 0 ? std::string_view::npos : text.rfind('\n', latest - 1);
      const size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
      const size_t from =
          std::max({line_start, latest > kMaxLookBack ? latest - kMaxLookBack : 0, scan.next});
      // Every search from `from` <= latest finds a match starting at or before `latest` and
      // moves at least one byte, so this ends within latest - from + 2 searches. (from > latest
      // only when the first scan has already passed the last match.)
      Scan rest;
      ScanFrom(input, from, SIZE_MAX, &rest);
      if (rest.found) scan = rest;
    }
    if (!scan.found) return {};
    std::string_view value(input.data() + scan.begin, scan.end - scan.begin);
    if (re_->NumberOfCapturingGroups() >= 1) {
      if (!re_->Match(input, scan.begin, input.size(), RE2::ANCHOR_START, groups, 2)) return {};
      value = groups[1].data() == nullptr ? std::string_view()
                                          : std::string_view(groups[1].data(), groups[1].size());
    }
    value = TrimAsciiWhitespace(value);
    if (value.empty()) return {};
    return {true, std::string(value)};
  }

  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    const std::string_view value = TrimAsciiWhitespace(reference);
    if (value.empty()) return absl::InvalidArgumentError("empty after trimming whitespace");
    return std::string(value);
  }

  bool Matches(std::string_view answer, std::string_view reference) const override {
    return TrimAsciiWhitespace(answer) == TrimAsciiWhitespace(reference);
  }

  // The scan's limits (see regex.h).
  static constexpr size_t kMaxSearches = 128;
  static constexpr size_t kMaxLookBack = 256;

 private:
  struct Scan {
    bool found = false;
    size_t begin = 0;  // the last match so far
    size_t end = 0;
    size_t next = 0;  // where the next search starts
  };

  // Left-to-right scan from `from`; false when `max_searches` searches did not reach the end.
  // Finds whole matches only (RE2's DFAs alone give the bounds); groups are read once, later.
  bool ScanFrom(const re2::StringPiece& input, size_t from, size_t max_searches, Scan* scan) const {
    scan->next = from;
    re2::StringPiece whole;
    for (size_t searches = 0; searches < max_searches; ++searches) {
      if (scan->next > input.size() ||
          !re_->Match(input, scan->next, input.size(), RE2::UNANCHORED, &whole, 1)) {
        return true;
      }
      scan->found = true;
      scan->begin = static_cast<size_t>(whole.data() - input.data());
      scan->end = scan->begin + whole.size();
      scan->next = whole.empty() ? scan->end + 1 : scan->end;
    }
    return scan->next > input.size();
  }

  const std::unique_ptr<RE2> re_;
  // "(?s).*(pattern)": its group 1 is the match that starts last. Null if it does not compile.
  const std::unique_ptr<RE2> latest_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateRegexExtractor(
    const v1::AnswerFormat::Regex& format) {
  if (format.pattern().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kPatternField), ": must not be empty"));
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(format.pattern(), options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kPatternField), ": ", re->error()));
  }
  auto latest = std::make_unique<RE2>(absl::StrCat("(?s).*(", format.pattern(), ")"), options);
  if (!latest->ok()) latest.reset();  // e.g. an unterminated \Q...: scan without a bound
  return std::make_unique<RegexExtractor>(std::move(re), std::move(latest));
}

}  // namespace ptc::extract_internal
