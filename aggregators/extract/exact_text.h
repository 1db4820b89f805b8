// Free-text answers compared exactly after normalisation.
//
// Format: AnswerFormat.exact_text (no options).
//
// Extract: the text after the last "Answer:" marker (any case; also "**Answer:**", "Final
// answer:", "Answer :") up to the end of that line; when that is empty after normalising
// ("**Final Answer:**" alone on its line) the next line that is not. Without a marker, the last
// line that is not empty after normalising. Empty after normalising: not parseable.
// Normalising (NormalizeFreeText in text_util.h): ASCII lower-casing (other bytes untouched),
// whitespace runs collapsed to one space and trimmed, surrounding quotes / markdown `**` /
// backticks stripped, trailing periods removed.
//
// NormalizeReference: the same normalisation of the whole reference; INVALID_ARGUMENT when that
// is empty. Matches: equality of the normalised strings.
//
// The marker pattern is compiled once in Create; Extract is linear in the text.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::extract_internal {

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateExactTextExtractor(
    const v1::AnswerFormat::ExactText& format);

}  // namespace ptc::extract_internal
