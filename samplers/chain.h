// One chain of reasoning: what to run (ChainSpec), what streams back while it runs (ChainDelta)
// and what it ended with (ChainResult).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace ptc {

struct ChatMessage {
  enum class Role { kSystem, kUser, kAssistant };
  Role role = Role::kUser;
  std::string content;
};

// The largest token count a backend's usage report is taken at; larger ones are clamped to it.
// No request uses a trillion tokens, and at this bound sums of a few counts cannot overflow and
// stay exact as doubles (the decoders share counts out in proportions).
inline constexpr uint64_t kMaxReportedTokens = uint64_t{1} << 40;

// Disjoint token counts: prompt + completion (visible output) + reasoning (thinking) = total.
// cached_prompt is the part of `prompt` served from the backend's prompt cache (billed at the
// cached-input price), not an extra count.
struct TokenUsage {
  uint64_t prompt = 0;
  uint64_t cached_prompt = 0;
  uint64_t completion = 0;
  uint64_t reasoning = 0;

  uint64_t output() const { return completion + reasoning; }
  uint64_t total() const { return prompt + completion + reasoning; }
  TokenUsage& operator+=(const TokenUsage& o) {
    prompt += o.prompt;
    cached_prompt += o.cached_prompt;
    completion += o.completion;
    reasoning += o.reasoning;
    return *this;
  }
};

struct ChainSpec {
  uint32_t index = 0;  // position in the request's plan
  uint32_t group = 0;
  std::string model;  // resolved: never empty
  // Shared by every chain of a request; immutable.
  std::shared_ptr<const std::vector<ChatMessage>> messages;
  std::optional<float> temperature;
  std::optional<float> top_p;
  uint32_t max_tokens = 0;       // output tokens (completion + reasoning)
  uint32_t thinking_budget = 0;  // 0 = no extended thinking
  uint64_t seed = 0;
  uint32_t top_logprobs = 0;  // 0 = no logprobs wanted
  // Effort level for backends that take one instead of a token budget ("low", "medium", "high");
  // empty = the backend's default.
  std::string reasoning_effort;
  // The request's deadline: retries and upstream timeouts never go past it.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// A piece of a streaming chain. The views are valid only during the OnDelta call.
struct ChainDelta {
  std::string_view text;       // visible output
  std::string_view reasoning;  // thinking output
  uint32_t tokens = 0;         // tokens in this delta
  // One log-probability per token of this delta (the sampled token), when the backend has them.
  std::span<const float> logprobs;
  // top_k values per token, flattened (tokens * top_k), when the backend has them.
  std::span<const float> top_logprobs;
  uint32_t top_k = 0;
};

enum class ChainStatus { kOk, kFailed, kCancelled };

struct ChainResult {
  ChainStatus status = ChainStatus::kOk;
  absl::Status error;         // set when status is kFailed
  std::string text;           // the whole visible output
  std::string reasoning;      // the whole thinking output, kept apart from the answer
  std::string finish_reason;  // "stop", "length", "cancelled", "error", ...
  TokenUsage usage;           // what was actually generated (partial when cancelled)
  // -mean of the top-k log-probabilities over all tokens (DeepConf's token confidence averaged);
  // empty when the backend gave no logprobs.
  std::optional<double> mean_token_confidence;
};

}  // namespace ptc
