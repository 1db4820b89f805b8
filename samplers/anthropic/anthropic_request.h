// Writes the Anthropic Messages request (POST /v1/messages) for one chain.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "samplers/anthropic/anthropic_options.h"
#include "samplers/chain.h"
#include "samplers/http/http_client.h"

namespace ptc::anthropic {

// The `thinking` (and, for adaptive thinking, `output_config`) members for `spec`, added to
// `body`; nothing when the spec asks for no thinking. INVALID_ARGUMENT naming thinking_budget
// (BUDGET_TOKENS: must be >= 1024 and below max_tokens) or reasoning_effort (only ADAPTIVE takes
// an effort level). Sets `*thinking_on`.
// `default_effort` is used in ADAPTIVE mode when the spec names none.
absl::Status AddThinking(const ChainSpec& spec, ThinkingMode mode,
                         const std::string& default_effort, nlohmann::json& body,
                         bool* thinking_on);

// The whole request for one chain (`n` must be 1: the API has no n). Headers carry the key;
// error messages never do. INVALID_ARGUMENT naming the setting the API cannot honour
// (n, logprobs, max_tokens, messages, thinking_budget, reasoning_effort, temperature above 1).
absl::StatusOr<http::Request> BuildMessagesRequest(const ChainSpec& spec, uint32_t n,
                                                   const AnthropicOptions& options);

}  // namespace ptc::anthropic
