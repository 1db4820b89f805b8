// What an Anthropic Messages protocol instance is configured with (built by the factory from
// ptc.v1.AnthropicBackendConfig; tests build it directly).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "samplers/backend.h"

namespace ptc::anthropic {

inline constexpr char kDefaultEndpoint[] = "https://api.anthropic.com";
inline constexpr char kDefaultVersion[] = "2023-06-01";
inline constexpr char kMessagesPath[] = "/v1/messages";
// The API refuses smaller budgets for `thinking: {type: "enabled"}`.
inline constexpr uint32_t kMinThinkingBudget = 1024;

enum class ThinkingMode {
  kBudgetTokens,  // thinking {type: "enabled", budget_tokens: N}
  kAdaptive,      // thinking {type: "adaptive"} + output_config {effort}
};

struct AnthropicOptions {
  std::string api_key;  // secret: sent as x-api-key, never in a message; may be empty
  std::string version = kDefaultVersion;  // anthropic-version header
  std::string default_model;
  ThinkingMode thinking_mode = ThinkingMode::kBudgetTokens;
  // ADAPTIVE: the effort for thinking chains whose spec names none; empty = the model's default.
  std::string default_effort;
  // Extra request headers from the config (values are secrets too).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // The kind's defaults (no n, no logprobs) with the config's overrides applied.
  BackendCapabilities capabilities;
};

// The capabilities of the kind before overrides.
inline BackendCapabilities DefaultCapabilities(ThinkingMode mode) {
  BackendCapabilities caps;
  caps.native_n = false;
  caps.logprobs = false;
  caps.temperature = true;
  caps.streaming = true;
  caps.thinking =
      mode == ThinkingMode::kAdaptive ? ThinkingStyle::kEffortLevels : ThinkingStyle::kBudgetTokens;
  return caps;
}

}  // namespace ptc::anthropic
