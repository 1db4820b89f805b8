#include "samplers/anthropic/anthropic_request.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ptc::anthropic {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

const char* RoleName(ChatMessage::Role role) {
  return role == ChatMessage::Role::kAssistant ? "assistant" : "user";
}

}  // namespace

// Kept in one place: Anthropic's thinking parameters change between model generations.
// - BUDGET_TOKENS (Claude 3.7 / 4 / 4.5): thinking {type: "enabled", budget_tokens: N}, with
//   1024 <= N < max_tokens.
// - ADAPTIVE (Claude 4.6 and later): thinking {type: "adaptive"}, the depth set by
//   output_config {effort: "low" | "medium" | "high" | "max"}; without an effort the model's
//   default applies (or the config's `effort`). A thinking_budget alone switches adaptive thinking
//   on; the budget itself is not sent (adaptive thinking takes none; max_tokens still caps the
//   output).
absl::Status AddThinking(const ChainSpec& spec, ThinkingMode mode,
                         const std::string& default_effort, nlohmann::json& body,
                         bool* thinking_on) {
  *thinking_on = false;
  if (mode == ThinkingMode::kBudgetTokens) {
    if (!spec.reasoning_effort.empty()) {
      return Invalid("reasoning_effort",
                     "this Anthropic backend takes a thinking_budget, not an effort level "
                     "(thinking_mode ADAPTIVE takes one)");
    }
    if (spec.thinking_budget == 0) return absl::OkStatus();
    if (spec.thinking_budget < kMinThinkingBudget) {
      return Invalid("thinking_budget", absl::StrCat("must be at least ", kMinThinkingBudget,
                                                     " for Anthropic extended thinking (got ",
                                                     spec.thinking_budget, ")"));
    }
    if (spec.thinking_budget >= spec.max_tokens) {
      return Invalid("thinking_budget",
                     absl::StrCat("must be below max_tokens (", spec.max_tokens, ")"));
    }
    body["thinking"] = {{"type", "enabled"}, {"budget_tokens", spec.thinking_budget}};
    *thinking_on = true;
    return absl::OkStatus();
  }
  if (spec.thinking_budget == 0 && spec.reasoning_effort.empty()) return absl::OkStatus();
  body["thinking"] = {{"type", "adaptive"}};
  const std::string& effort =
      spec.reasoning_effort.empty() ? default_effort : spec.reasoning_effort;
  if (!effort.empty() && effort != "low" && effort != "medium" && effort != "high" &&
      effort != "max") {
    return Invalid("reasoning_effort", absl::StrCat("Anthropic's adaptive thinking takes low, "
                                                    "medium, high or max, not \"",
                                                    effort, "\""));
  }
  if (!effort.empty()) body["output_config"] = {{"effort", effort}};
  *thinking_on = true;
  return absl::OkStatus();
}

absl::StatusOr<http::Request> BuildMessagesRequest(const ChainSpec& spec, uint32_t n,
                                                   const AnthropicOptions& options) {
  if (n != 1) {
    return Invalid("n", absl::StrCat("the Anthropic Messages API has no n (asked for ", n, ")"));
  }
  if (spec.top_logprobs > 0) {
    return Invalid("logprobs", "the Anthropic Messages API returns no log-probabilities");
  }
  if (spec.max_tokens == 0) return Invalid("max_tokens", "required by the Anthropic API");
  if (spec.messages == nullptr) return Invalid("messages", "missing");

  nlohmann::json body;
  body["model"] = spec.model.empty() ? options.default_model : spec.model;
  body["max_tokens"] = spec.max_tokens;
  std::string system;
  nlohmann::json messages = nlohmann::json::array();
  for (const ChatMessage& m : *spec.messages) {
    if (m.role == ChatMessage::Role::kSystem) {
      // The API takes one top-level system prompt; several system messages are joined.
      if (!system.empty()) system += "\n\n";
      system += m.content;
      continue;
    }
    messages.push_back({{"role", RoleName(m.role)}, {"content", m.content}});
  }
  if (messages.empty()) return Invalid("messages", "at least one user message is required");
  if (!system.empty()) body["system"] = system;
  body["messages"] = std::move(messages);

  bool thinking_on = false;
  RETURN_IF_ERROR(
      AddThinking(spec, options.thinking_mode, options.default_effort, body, &thinking_on));
  // With thinking on the API accepts only the default temperature (1) and top_p >= 0.95, and
  // newer models refuse both: they are not sent, so thinking chains sample at temperature 1.
  if (!thinking_on && options.capabilities.temperature) {
    if (spec.temperature.has_value()) {
      if (!(*spec.temperature >= 0 && *spec.temperature <= 1)) {
        return Invalid("temperature",
                       absl::StrCat("the Anthropic API takes [0, 1], not ", *spec.temperature));
      }
      body["temperature"] = *spec.temperature;
    }
    if (spec.top_p.has_value()) body["top_p"] = *spec.top_p;
  }
  if (options.capabilities.streaming) body["stream"] = true;

  http::Request request;
  request.method = "POST";
  request.path = kMessagesPath;
  request.deadline = spec.deadline;
  request.headers.emplace_back("content-type", "application/json");
  request.headers.emplace_back("anthropic-version", options.version);
  if (options.capabilities.streaming) request.headers.emplace_back("accept", "text/event-stream");
  if (!options.api_key.empty()) request.headers.emplace_back("x-api-key", options.api_key);
  for (const auto& header : options.extra_headers) request.headers.push_back(header);
  request.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return request;
}

}  // namespace ptc::anthropic
