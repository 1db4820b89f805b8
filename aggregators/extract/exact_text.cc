#include "aggregators/extract/exact_text.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/answer_line.h"
#include "aggregators/extract/re2_util.h"
#include "aggregators/extract/text_util.h"
#include "re2/re2.h"

namespace ptc::extract_internal {
namespace {

class ExactTextExtractor final : public AnswerExtractor {
 public:
  explicit ExactTextExtractor(std::unique_ptr<RE2> marker) : marker_(std::move(marker)) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    return ExtractAnswerLine(text, *marker_,
                             [](std::string_view line) { return NormalizeFreeText(line); });
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
