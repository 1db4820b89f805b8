#include "aggregators/extract/exact_text.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/re2_util.h"
#include "aggregators/extract/text_util.h"
#include "re2/re2.h"

namespace ptc::extract_internal {
namespace {

constexpr size_t kNpos = std::string_view::npos;

class ExactTextExtractor final : public AnswerExtractor {
 public:
  explicit ExactTextExtractor(std::unique_ptr<RE2> marker) : marker_(std::move(marker)) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    const size_t after_marker = EndOfLastMarker(text);
    if (after_marker != kNpos) {
      // The rest of the marker's line, else the next non-empty line.
      size_t begin = after_marker;
      while (begin <= text.size()) {
        size_t end = text.find('\n', begin);
        if (end == kNpos) end = text.size();
        std::string value = NormalizeFreeText(text.substr(begin, end - begin));
        if (!value.empty()) return {true, std::move(value)};
        begin = end + 1;
      }
      return {};
    }
    // The last non-empty line.
    size_t end = text.size();
    while (true) {
      const size_t nl = end == 0 ? kNpos : text.rfind('\n', end - 1);
      const size_t begin = nl == kNpos ? 0 : nl + 1;
      std::string value = NormalizeFreeText(text.substr(begin, end - begin));
      if (!value.empty()) return {true, std::move(value)};
      if (nl == kNpos) return {};
      end = nl;
    }
  }

  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    std::string value = NormalizeFreeText(reference);
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(QuoteForError(reference), " is empty after normalising"));
    }
    return value;
  }

  bool Matches(std::string_view answer, std::string_view reference) const override {
    return answer == reference;
  }

 private:
  // Where the text after the last marker begins, or kNpos.
  size_t EndOfLastMarker(std::string_view text) const {
    const re2::StringPiece input(text.data(), text.size());
    re2::StringPiece m;
    size_t pos = 0;
    size_t last_end = kNpos;
    while (pos < input.size() && marker_->Match(input, pos, input.size(), RE2::UNANCHORED, &m, 1)) {
      last_end = static_cast<size_t>(m.data() - input.data()) + m.size();
      pos = last_end;
    }
    return last_end;
  }

  const std::unique_ptr<RE2> marker_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateExactTextExtractor(
    const v1::AnswerFormat::ExactText& /*format*/) {
  auto marker = CompileFixedPattern(R"((?i)answer(?:\*\*)?[ \t]*(?:\*\*)?[ \t]*:(?:\*\*)?)");
  if (!marker->ok()) {
    return absl::InternalError(absl::StrCat("answer marker does not compile: ", marker->error()));
  }
  return std::make_unique<ExactTextExtractor>(std::move(marker));
}

}  // namespace ptc::extract_internal
