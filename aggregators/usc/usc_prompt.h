// The universal self-consistency selector's prompt, and the reading of its choice.
//
// The prompt gives the question (the request's user messages) and the responses, each between
// numbered marker lines, and asks which response is most consistent with the others, ending with
// a line "Answer: Response k" (Chen et al. 2023, "Universal Self-Consistency for Large Language
// Model Generation"):
//
//   <instructions>
//   === Question ===
//   <question>
//   === End of question ===
//
//   === Response 1 ===
//   <the end of response 1>
//   === End of response 1 ===
//   ...
//   <closing instructions: "Answer: Response k", k from 1 to N>
//
// The simulated model (samplers/sim/sim_model.h) recognises a selector prompt by the response
// markers; tests/samplers/sim checks that it reads the prompts built here.
//
// ParseUscSelection reads, case-insensitively and ignoring Markdown emphasis:
//   1. the last "Answer: Response k" (also "Answer = k", "Answer: #3", "Answer: [3]",
//      "Answer: response 3", "Answer: Candidate 3");
//   2. else the last "the most consistent response is (Response) k".
// The number must be one of the responses shown (1 to N); anything else is no selection, with
// the reason. RE2, linear in the reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptc {

inline constexpr uint32_t kDefaultUscResponses = 16;
inline constexpr uint32_t kMaxUscResponses = 64;
inline constexpr uint32_t kDefaultUscResponseBytes = 2048;
inline constexpr uint32_t kMaxUscResponseBytes = 16384;

// The prompt; each response is used as given (cut it first, e.g. with EvidenceTail).
std::string BuildUscPrompt(std::string_view question, const std::vector<std::string>& responses);

// The largest prompt BuildUscPrompt makes for a question of `question_bytes` and up to
// `responses` responses of at most `response_bytes` each (for the worst-case cost reservation).
size_t MaxUscPromptBytes(size_t question_bytes, size_t responses, size_t response_bytes);

struct UscChoice {
  std::optional<uint32_t> response;  // 1-based k
  std::string error;                 // why there is none
};

// The response a selector reply names, out of `count` shown (see above).
UscChoice ParseUscSelection(std::string_view reply, size_t count);

}  // namespace ptc
