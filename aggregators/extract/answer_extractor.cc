#include "aggregators/extract/answer_extractor.h"

#include "aggregators/extract/constraints.h"
#include "aggregators/extract/exact_text.h"
#include "aggregators/extract/free_text.h"
#include "aggregators/extract/multiple_choice.h"
#include "aggregators/extract/number.h"
#include "aggregators/extract/regex.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<AnswerExtractor>> AnswerExtractor::Create(
    const v1::AnswerFormat& format) {
  switch (format.kind_case()) {
    case v1::AnswerFormat::kMultipleChoice:
      return extract_internal::CreateMultipleChoiceExtractor(format.multiple_choice());
    case v1::AnswerFormat::kNumber:
      return extract_internal::CreateNumberExtractor(format.number());
    case v1::AnswerFormat::kExactText:
      return extract_internal::CreateExactTextExtractor(format.exact_text());
    case v1::AnswerFormat::kRegex:
      return extract_internal::CreateRegexExtractor(format.regex());
    case v1::AnswerFormat::kFreeText:
      return extract_internal::CreateFreeTextExtractor(format.free_text());
    case v1::AnswerFormat::kConstraints:
      return extract_internal::CreateConstraintsExtractor(format.constraints());
    case v1::AnswerFormat::KIND_NOT_SET:
      break;
  }
  // Unset: multiple choice over "ABCD".
  return extract_internal::CreateMultipleChoiceExtractor(v1::AnswerFormat::MultipleChoice());
}

}  // namespace ptc
