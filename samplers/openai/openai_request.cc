#include "samplers/openai/openai_request.h"

#include <array>
#include <cmath>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_writer.h"
#include "samplers/thinking_levels.h"

namespace ptc::openai {
namespace {

absl::Status Bad(std::string_view field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("ChainSpec.", std::string(field), ": ", why));
}

const char* RoleName(ChatMessage::Role role) {
  switch (role) {
    case ChatMessage::Role::kSystem:
      return "system";
    case ChatMessage::Role::kAssistant:
      return "assistant";
    case ChatMessage::Role::kUser:
      break;
  }
  return "user";
}

}  // namespace

uint64_t EstimatePromptTokens(const ChainSpec& spec) {
  uint64_t bytes = 0;
  if (spec.messages != nullptr) {
    for (const ChatMessage& m : *spec.messages) bytes += m.content.size();
  }
  return (bytes + 3) / 4;
}

absl::StatusOr<std::string> BuildChatCompletionBody(const OpenAiOptions& options,
                                                    const ChainSpec& spec, uint32_t n,
                                                    bool stream) {
  const BackendCapabilities& caps = options.capabilities;
  const char* flavor = FlavorName(options.flavor);
  if (n == 0) return Bad("n", "must be >= 1");
  if (n > 1 && !caps.native_n) {
    return Bad("n", absl::StrCat(flavor, " backend has no native n (one request per chain)"));
  }
  if (spec.messages == nullptr || spec.messages->empty()) return Bad("messages", "empty");
  if (spec.top_logprobs > 0 && !caps.logprobs) {
    return Bad("top_logprobs", absl::StrCat(flavor, " backend gives no logprobs"));
  }
  if (spec.top_logprobs > kMaxTopLogprobs) {
    return Bad("top_logprobs",
               absl::StrCat(spec.top_logprobs, " is above the API's maximum of ", kMaxTopLogprobs));
  }
  if (spec.thinking_budget > 0 && caps.thinking == ThinkingStyle::kNone) {
    return Bad("thinking_budget",
               absl::StrCat(flavor,
                            " backend has no thinking control (for VLLM/SGLANG set "
                            "thinking_switch)"));
  }
  if (!spec.reasoning_effort.empty()) {
    if (caps.thinking != ThinkingStyle::kEffortLevels) {
      return Bad("reasoning_effort", absl::StrCat(flavor, " backend takes no reasoning effort"));
    }
    bool known = false;
    for (std::string_view e : EffortLevels()) known = known || e == spec.reasoning_effort;
    if (!known) {
      return Bad("reasoning_effort",
                 absl::StrCat("unknown level \"", spec.reasoning_effort,
                              "\" (none, minimal, low, medium, high, xhigh, max)"));
    }
  }
  if (spec.temperature.has_value()) {
    if (!caps.temperature) return Bad("temperature", "the backend takes no temperature");
    if (!std::isfinite(*spec.temperature) || *spec.temperature < 0 || *spec.temperature > 2) {
      return Bad("temperature", "must be in [0, 2]");
    }
  }
  if (spec.top_p.has_value() && !(*spec.top_p >= 0 && *spec.top_p <= 1)) {
    return Bad("top_p", "must be in [0, 1]");
  }

  // Written member by member (JsonWriter: the bytes nlohmann's dump() gives, without a DOM), in
  // the order of the fields above.
  JsonWriter body;
  body.BeginObject();
  body.Key("model").String(spec.model.empty() ? options.default_model : spec.model);
  body.Key("messages").BeginArray();
  for (const ChatMessage& m : *spec.messages) {
    body.BeginObject().Key("role").String(RoleName(m.role)).Key("content").String(m.content);
    body.EndObject();
  }
  body.EndArray();
  if (n > 1) body.Key("n").Uint(n);
  if (stream) {
    body.Key("stream").Bool(true);
    body.Key("stream_options").BeginObject().Key("include_usage").Bool(true).EndObject();
  }
  body.Key("seed").Int(static_cast<int64_t>(spec.seed));
  if (spec.temperature.has_value()) body.Key("temperature").Double(*spec.temperature);
  if (spec.top_p.has_value()) body.Key("top_p").Double(*spec.top_p);
  if (spec.max_tokens > 0) {
    body.Key(options.use_max_completion_tokens ? "max_completion_tokens" : "max_tokens")
        .Uint(spec.max_tokens);
  }
  if (!options.stop.empty()) {
    body.Key("stop").BeginArray();
    for (const std::string& s : options.stop) body.String(s);
    body.EndArray();
  }
  if (spec.top_logprobs > 0) {
    body.Key("logprobs").Bool(true);
    body.Key("top_logprobs").Uint(spec.top_logprobs);
  }
  if (!spec.reasoning_effort.empty()) body.Key("reasoning_effort").String(spec.reasoning_effort);
  if (AcceptsExtensions(options.flavor)) {
    if (options.top_k.has_value()) body.Key("top_k").Uint(*options.top_k);
    if (options.min_p.has_value()) body.Key("min_p").Double(*options.min_p);
    if (options.thinking_switch) {
      body.Key("chat_template_kwargs").BeginObject();
      body.Key("enable_thinking").Bool(spec.thinking_budget > 0).EndObject();
    }
  }
  body.EndObject();
  return body.Take();
}

}  // namespace ptc::openai
