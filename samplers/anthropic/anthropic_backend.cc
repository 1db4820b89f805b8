#include "samplers/anthropic/anthropic_backend.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "samplers/anthropic/anthropic_protocol.h"
#include "samplers/http/http_backend.h"
#include "samplers/http/http_config.h"

namespace ptc::anthropic {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// Header values may not hold line breaks (they would end the header) or other control bytes.
bool SafeHeaderValue(const std::string& value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool HasAuthHeader(const v1::HttpConfig& http) {
  for (const auto& [name, value] : http.headers()) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "x-api-key" || lower == "authorization") return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<AnthropicOptions> OptionsFromConfig(const v1::AnthropicBackendConfig& config) {
  AnthropicOptions options;
  if (config.default_model().empty()) return Invalid("default_model", "required");
  options.default_model = config.default_model();
  if (!config.anthropic_version().empty()) {
    if (!SafeHeaderValue(config.anthropic_version())) {
      return Invalid("anthropic_version", "holds a control character");
    }
    options.version = config.anthropic_version();
  }
  switch (config.thinking_mode()) {
    case v1::AnthropicBackendConfig::THINKING_MODE_UNSPECIFIED:
    case v1::AnthropicBackendConfig::BUDGET_TOKENS:
      options.thinking_mode = ThinkingMode::kBudgetTokens;
      break;
    case v1::AnthropicBackendConfig::ADAPTIVE:
      options.thinking_mode = ThinkingMode::kAdaptive;
      break;
    default:
      return Invalid("thinking_mode", absl::StrCat("unknown value ", config.thinking_mode()));
  }
  if (!config.effort().empty()) {
    if (options.thinking_mode != ThinkingMode::kAdaptive) {
      return Invalid("effort", "only with thinking_mode ADAPTIVE");
    }
    for (char c : config.effort()) {
      if (!(c >= 'a' && c <= 'z'))
        return Invalid("effort", "must be a lower-case word (e.g. \"high\")");
    }
    options.default_effort = config.effort();
  }
  const v1::CapabilityOverrides& overrides = config.capabilities();
  if (overrides.has_native_n() && overrides.native_n()) {
    return Invalid("capabilities.native_n", "the Anthropic Messages API has no n");
  }
  if (overrides.has_logprobs() && overrides.logprobs()) {
    return Invalid("capabilities.logprobs",
                   "the Anthropic Messages API returns no log-probabilities");
  }
  options.capabilities = DefaultCapabilities(options.thinking_mode);
  http::ApplyCapabilityOverrides(overrides, options.capabilities);

  for (const auto& [name, value] : config.http().headers()) {
    if (name.empty() || !SafeHeaderValue(name) || !SafeHeaderValue(value)) {
      // Never quote the value: it may be a secret.
      return Invalid(absl::StrCat("http.headers[\"", SafeHeaderValue(name) ? name : "?", "\"]"),
                     "holds a control character");
    }
    options.extra_headers.emplace_back(absl::AsciiStrToLower(name), value);
  }
  ASSIGN_OR_RETURN(options.api_key, http::ReadApiKey(config.http()));
  if (options.api_key.empty() && !HasAuthHeader(config.http())) {
    return Invalid("http.api_key_env",
                   "the Anthropic API needs a key: set http.api_key_env or http.api_key_file "
                   "(or an x-api-key / authorization entry in http.headers for a proxy)");
  }
  if (!SafeHeaderValue(options.api_key)) {
    return Invalid(config.http().api_key_env().empty() ? "http.api_key_file" : "http.api_key_env",
                   "the key holds a control character");
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Backend>> CreateAnthropicBackend(
    const v1::AnthropicBackendConfig& config, BackendDeps& deps) {
  ASSIGN_OR_RETURN(AnthropicOptions options, OptionsFromConfig(config));
  ASSIGN_OR_RETURN(http::ClientOptions client_options,
                   http::ClientOptionsFromConfig(config.http(), kDefaultEndpoint));
  ASSIGN_OR_RETURN(http::HttpBackendOptions backend_options,
                   http::BackendOptionsFromConfig(config.http(), deps.name));
  ASSIGN_OR_RETURN(
      std::shared_ptr<http::Client> client,
      http::Client::Create(http::WithCircuitHook(std::move(client_options), deps), deps.io));
  backend_options.max_n_per_request = 1;  // no native n
  return std::make_unique<http::HttpBackend>(
      std::make_shared<const AnthropicProtocol>(std::move(options)), std::move(client),
      std::move(backend_options), deps.io);
}

PTC_REGISTER_BACKEND(v1::AnthropicBackendConfig, &CreateAnthropicBackend);

}  // namespace ptc::anthropic
