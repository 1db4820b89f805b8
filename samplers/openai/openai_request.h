// Writes the body of POST /chat/completions (CreateChatCompletionRequest) for n chains sharing a
// ChainSpec. No I/O.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "samplers/chain.h"
#include "samplers/openai/openai_options.h"

namespace ptc::openai {

// OpenAI accepts at most this many top_logprobs.
inline constexpr uint32_t kMaxTopLogprobs = 20;

// The JSON body. `n` > 1 only when the backend has native n. Fields:
//   model, messages, n (when > 1), stream + stream_options.include_usage (when streaming), seed
//   (the spec's seed as a signed 64-bit value: the server's choice i then uses seed + i, as
//   ptc's plan numbers the chains of a group), temperature, top_p, max_tokens or
//   max_completion_tokens (when spec.max_tokens > 0), stop (from the config), logprobs +
//   top_logprobs (when spec.top_logprobs > 0), reasoning_effort (OPENAI),
//   chat_template_kwargs.enable_thinking (VLLM/SGLANG with thinking_switch), top_k / min_p
//   (VLLM/SGLANG, from the config).
// INVALID_ARGUMENT naming the ChainSpec field when the spec asks for what the backend cannot do
// (capabilities as configured): logprobs without logprobs, a thinking budget without a thinking
// style, a reasoning effort on a backend that takes none, temperature where it is refused.
absl::StatusOr<std::string> BuildChatCompletionBody(const OpenAiOptions& options,
                                                    const ChainSpec& spec, uint32_t n, bool stream);

// The prompt's size estimated as tokens: its bytes / 4 (the usual rule of thumb for English
// text with BPE tokenizers), used for usage when a chain ends before the server reported usage.
uint64_t EstimatePromptTokens(const ChainSpec& spec);

}  // namespace ptc::openai
