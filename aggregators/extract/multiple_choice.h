// Multiple-choice answers: one letter out of an allowed set.
//
// Format: AnswerFormat.multiple_choice.letters, default "ABCD". Validated in Create: only A-Z,
// no repeats (else INVALID_ARGUMENT "answer_format.multiple_choice.letters: ...").
//
// Extract (the normalised value is the upper-case letter), in this order:
//  1. The simple-evals pattern `(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?` with the allowed letters in
//     place of A-D, taking the FIRST match as simple-evals grades, except that the letter must
//     not be followed by another ASCII letter ("Answer: Because ..." is not B; the search goes
//     on to the next "Answer:"). As in simple-evals, lower case is accepted here ("answer: c",
//     and so "Answer: a mixture" is A).
//  2. Otherwise the LAST match of the common variants:
//       after an answer marker — "answer:" (also "Final answer:", "**Answer:**", "**Answer**:",
//       "Answer :"), "answer is" / "answer is:" (also "The correct answer is"), optionally
//       followed by "option", "choice" or "letter" — on the same line, a letter that is
//         decorated: "(B)", "B)", "[B]", "**B**", "*B*", "$B$", "{B}", "\textbf{B}", "\text{B}"
//           (the last opening decoration touching the letter), either case, not followed by
//           another letter after its closing decorations;
//         or bare, upper case: not followed by a letter, nor by "." and a letter ("E.g.");
//         or bare, lower case: the same, and for "a" and "i", which are English words, not
//           followed by blanks and a word either ("the answer is a mixture" is not A, "the
//           answer is d because" is D);
//     and anywhere, `\boxed{B}`, `\boxed{(B)}`, `\boxed{\text{B}}` (also \fbox, \textbf, \mathrm,
//     \mathbf), either case.
//     So lower-case letters count only right after a marker, inside decorations or in \boxed.
//     The search for the next variant resumes right after the previous letter.
//  A letter outside the allowed set is never an answer. Nothing found: not parseable.
//
// NormalizeReference: "B", "b", "(B)", "B.", "**B**" or any text Extract reads a letter from;
// INVALID_ARGUMENT otherwise (message without a field name: the caller names the field).
// Matches: equality of the normalised letters.
//
// Every pattern is compiled once, in Create; Extract is linear in the text (RE2, no backtracking).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::extract_internal {

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateMultipleChoiceExtractor(
    const v1::AnswerFormat::MultipleChoice& format);

}  // namespace ptc::extract_internal
