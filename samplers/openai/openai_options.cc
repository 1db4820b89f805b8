#include "samplers/openai/openai_options.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ptc::openai {
namespace {

using Config = v1::OpenAiBackendConfig;

absl::Status Bad(const char* field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("OpenAiBackendConfig.", field, ": ", why));
}

Flavor Resolve(Flavor flavor) {
  return flavor == Config::FLAVOR_UNSPECIFIED ? Config::OPENAI : flavor;
}

}  // namespace

bool AcceptsExtensions(Flavor flavor) { return flavor == Config::VLLM || flavor == Config::SGLANG; }

BackendCapabilities FlavorCapabilities(Flavor flavor, bool thinking_switch) {
  flavor = Resolve(flavor);
  BackendCapabilities caps;
  caps.native_n = flavor == Config::OPENAI || AcceptsExtensions(flavor);
  caps.logprobs = flavor != Config::OLLAMA;
  caps.temperature = true;
  caps.streaming = true;
  if (flavor == Config::OPENAI) {
    caps.thinking = ThinkingStyle::kEffortLevels;
  } else if (AcceptsExtensions(flavor) && thinking_switch) {
    caps.thinking = ThinkingStyle::kOnOffSwitch;
  } else {
    caps.thinking = ThinkingStyle::kNone;
  }
  return caps;
}

const char* FlavorName(Flavor flavor) {
  switch (Resolve(flavor)) {
    case Config::VLLM:
      return "VLLM";
    case Config::SGLANG:
      return "SGLANG";
    case Config::LLAMA_CPP:
      return "LLAMA_CPP";
    case Config::OLLAMA:
      return "OLLAMA";
    default:
      return "OPENAI";
  }
}

absl::StatusOr<OpenAiOptions> OpenAiOptionsFromConfig(const Config& config) {
  if (!Config::Flavor_IsValid(config.flavor())) {
    return Bad("flavor", absl::StrCat("unknown flavor ", static_cast<int>(config.flavor())));
  }
  OpenAiOptions o;
  o.flavor = Resolve(config.flavor());
  if (config.default_model().empty()) return Bad("default_model", "required");
  o.default_model = config.default_model();
  o.use_max_completion_tokens = config.has_use_max_completion_tokens()
                                    ? config.use_max_completion_tokens()
                                    : o.flavor == Config::OPENAI;
  if (config.thinking_switch() && !AcceptsExtensions(o.flavor)) {
    return Bad("thinking_switch",
               absl::StrCat("only for VLLM and SGLANG (chat_template_kwargs), not ",
                            FlavorName(o.flavor)));
  }
  o.thinking_switch = config.thinking_switch();
  o.split_think_tags = !config.has_split_think_tags() || config.split_think_tags();
  o.think_open_at_start = config.think_open_at_start();
  if (o.think_open_at_start && !o.split_think_tags) {
    return Bad("think_open_at_start", "needs split_think_tags");
  }
  if (config.has_top_k()) {
    if (!AcceptsExtensions(o.flavor)) {
      return Bad("top_k", absl::StrCat("only for VLLM and SGLANG, not ", FlavorName(o.flavor)));
    }
    if (config.top_k() < 1) return Bad("top_k", "must be >= 1");
    o.top_k = config.top_k();
  }
  if (config.has_min_p()) {
    if (!AcceptsExtensions(o.flavor)) {
      return Bad("min_p", absl::StrCat("only for VLLM and SGLANG, not ", FlavorName(o.flavor)));
    }
    if (!(config.min_p() >= 0 && config.min_p() <= 1)) return Bad("min_p", "must be in [0, 1]");
    o.min_p = config.min_p();
  }
  if (config.stop_size() > kMaxStop) {
    return Bad("stop", absl::StrCat(config.stop_size(), " sequences; at most ", kMaxStop));
  }
  for (int i = 0; i < config.stop_size(); ++i) {
    if (config.stop(i).empty()) return Bad("stop", absl::StrCat("stop[", i, "] is empty"));
    o.stop.push_back(config.stop(i));
  }
  o.capabilities = FlavorCapabilities(o.flavor, o.thinking_switch);
  for (const auto& [name, value] : config.http().headers()) {
    if (name.empty()) return Bad("http.headers", "a header name is empty");
    o.extra_headers.emplace_back(name, value);
  }
  std::sort(o.extra_headers.begin(), o.extra_headers.end());  // the map's order is unspecified
  return o;
}

}  // namespace ptc::openai
