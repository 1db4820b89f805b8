// What an OpenAI-compatible chat-completions backend is configured to do, read from
// OpenAiBackendConfig. Flavours differ in what they accept beyond the OpenAI document and in what
// they can do (native n, logprobs, how thinking is switched).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ptc/v1/backends/openai.pb.h"
#include "samplers/backend.h"

namespace ptc::openai {

using Flavor = v1::OpenAiBackendConfig::Flavor;

inline constexpr int kMaxStop = 4;  // the API's limit

struct OpenAiOptions {
  Flavor flavor = v1::OpenAiBackendConfig::OPENAI;
  std::string default_model;
  // Sent as "Authorization: Bearer <key>" when not empty. A secret: never logged or quoted.
  std::string api_key;
  // Extra request headers (HttpConfig.headers), sent as given. Values are secrets too.
  std::vector<std::pair<std::string, std::string>> extra_headers;
  bool use_max_completion_tokens = true;
  // VLLM / SGLANG: chat_template_kwargs {"enable_thinking": thinking_budget > 0}.
  bool thinking_switch = false;
  bool split_think_tags = true;
  bool think_open_at_start = false;
  std::optional<uint32_t> top_k;  // VLLM / SGLANG only
  std::optional<float> min_p;     // VLLM / SGLANG only
  std::vector<std::string> stop;  // stop sequences, at most kMaxStop
  BackendCapabilities capabilities;
};

// vLLM and SGLang accept fields beyond the OpenAI document (top_k, min_p, chat_template_kwargs)
// and return reasoning in `reasoning_content`.
bool AcceptsExtensions(Flavor flavor);

// What a flavour can do before configured overrides:
//   native n: OPENAI, VLLM, SGLANG; logprobs: all but OLLAMA; streaming: all;
//   thinking: OPENAI effort levels, VLLM/SGLANG an on/off switch when thinking_switch, else none.
BackendCapabilities FlavorCapabilities(Flavor flavor, bool thinking_switch);

// Reads everything but the key, the HTTP settings and the capability overrides (the factory
// applies those). INVALID_ARGUMENT naming the field ("default_model", "top_k", ...).
absl::StatusOr<OpenAiOptions> OpenAiOptionsFromConfig(const v1::OpenAiBackendConfig& config);

const char* FlavorName(Flavor flavor);

}  // namespace ptc::openai
