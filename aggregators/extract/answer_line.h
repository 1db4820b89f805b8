// The answer line of a chain's text, shared by the text formats (exact_text, free_text): the rest
// of the line after the last match of the format's marker, else the next non-empty line after it;
// with no marker in the text, the last non-empty line. Linear in the text.
#pragma once

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "aggregators/extract/answer_extractor.h"
#include "re2/re2.h"

namespace ptc::extract_internal {

// `normalize` maps a candidate line to its answer; an empty result means "no answer on this line,
// look further".
ExtractedAnswer ExtractAnswerLine(std::string_view text, const RE2& marker,
                                  absl::FunctionRef<std::string(std::string_view)> normalize);

}  // namespace ptc::extract_internal
