// The verifier's prompt, and the reading of a score out of its reply.
//
// The prompt gives the question (the request's user messages), the candidate answer and the end
// of the evidence chain's output, each between marker lines, and asks for a last line
// "Score: P" with P the probability that the candidate is correct:
//
//   <instructions>
//   === Question ===
//   <question>
//   === End of question ===
//
//   === Proposed answer ===
//   <answer>
//   === End of proposed answer ===
//
//   === Reasoning that led to it ===
//   <evidence>
//   === End of reasoning ===
//
//   <closing instructions>
//
// The simulated model (samplers/sim/sim_model.h) recognises a verifier prompt by these markers;
// tests/samplers/sim checks that it reads the prompts built here.
//
// ParseVerifierScore reads the last score in a reply, whichever of these forms it takes (case
// and Markdown emphasis around the key ignored; ':' or '='):
//   - "Score: 0.83", "Probability: .9", "Confidence = 1", "P(correct): 0.2": a number in [0, 1];
//   - "Score: 83%": a percentage, at most 100;
//   - "Score: 8/10", "Score: 4.5 / 5": a fraction whose denominator is positive and not below
//     the numerator;
//   - "Score: 7" or "Score: 85" (no unit): out of 10 when in (1, 10], out of 100 when in
//     (10, 100];
//   - "Verdict: yes" / "Correct: no" (also true / false, correct / incorrect): 1 or 0.
// Anything else (a negative or larger number, a non-finite one, no key at all) gives no score.
// The last match decides: a reply that ends on an unreadable score has none, even if it wrote a
// readable one earlier.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ptc {

// The markers the prompt puts around its parts.
inline constexpr std::string_view kVerifyQuestionBegin = "=== Question ===\n";
inline constexpr std::string_view kVerifyQuestionEnd = "\n=== End of question ===";
inline constexpr std::string_view kVerifyAnswerBegin = "=== Proposed answer ===\n";
inline constexpr std::string_view kVerifyAnswerEnd = "\n=== End of proposed answer ===";

// Answers longer than this are cut in the prompt (at a UTF-8 boundary).
inline constexpr size_t kMaxVerifyAnswerBytes = 256;

// The verifier prompt. `answer` is cut to kMaxVerifyAnswerBytes; `evidence` is used as given
// (see EvidenceTail).
std::string BuildVerifyPrompt(std::string_view question, std::string_view answer,
                              std::string_view evidence);

// The largest prompt BuildVerifyPrompt makes for a question of `question_bytes` and evidence of
// at most `evidence_bytes` (for the worst-case cost reservation).
size_t MaxVerifyPromptBytes(size_t question_bytes, size_t evidence_bytes);

// A chain's output as evidence: its reasoning (when any), a blank line and its text, of which
// only the last `max_bytes` are kept (cut at a UTF-8 boundary, so at most max_bytes).
std::string EvidenceTail(std::string_view reasoning, std::string_view text, size_t max_bytes);

// The score in [0, 1] of a verifier reply, or none (see above).
std::optional<double> ParseVerifierScore(std::string_view reply);

}  // namespace ptc
