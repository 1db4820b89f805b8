// Format-constrained instructions (IFEval-style, Zhou et al. 2023), graded by checking the
// constraints rather than by comparing with a reference.
//
// Format: AnswerFormat.constraints {constraints: [...]}: 1 to kMaxInstructionConstraints (32)
// constraints, each with one check set; lowercase and no_commas must be true, max_words and
// min_words at least 1, end_with / start_with / include_keyword non-blank and at most
// kMaxConstraintTextBytes (256) bytes. Otherwise INVALID_ARGUMENT naming the field, e.g.
// "answer_format.constraints.constraints[2].end_with: must not be empty".
//
// Extract: the chain's visible text (the service passes ChainResult::text; the reasoning of a
// thinking chain is not part of it), trimmed, with runs of ASCII whitespace collapsed to one
// space, so that responses differing only in layout are one candidate. Empty: not parseable.
// No "Answer:" line is looked for: the whole response is the answer.
//
// NormalizeReference: any reference that is not blank (trimmed); it only asks for grading.
// Matches: the answer satisfies every constraint (SatisfiesConstraint in common/mcq_dataset.h:
// word counts over whitespace-separated words; start_with / end_with and include_keyword ASCII
// case-insensitive; lowercase also knows Latin-1, Latin Extended-A, Greek and Cyrillic
// capitals); the reference's content is ignored. Whitespace normalisation changes none of the
// checks. Extract and Matches are linear in the text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "common/mcq_dataset.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc {

// The constraints of an AnswerFormat.constraints, validated (errors as above).
absl::StatusOr<std::vector<InstructionConstraint>> ConstraintsFromProto(
    const v1::AnswerFormat::Constraints& format);

// The answer format that grades an instruction item (McqQuestion::Kind::kInstruction).
v1::AnswerFormat InstructionAnswerFormat(const McqQuestion& item);

// Whether `text` satisfies every constraint.
bool SatisfiesAll(const std::vector<InstructionConstraint>& constraints, std::string_view text);

namespace extract_internal {

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateConstraintsExtractor(
    const v1::AnswerFormat::Constraints& format);

// Trimmed, ASCII whitespace runs collapsed to one space.
std::string NormalizeWhitespace(std::string_view text);

}  // namespace extract_internal
}  // namespace ptc
