#include "samplers/openai/openai_backend.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "samplers/http/http_backend.h"
#include "samplers/http/http_client.h"
#include "samplers/http/http_config.h"
#include "samplers/openai/openai_options.h"
#include "samplers/openai/openai_protocol.h"

namespace ptc::openai {
namespace {

// The most choices one request may ask for (OpenAI's limit on n is 128).
constexpr uint32_t kMaxNPerRequest = 128;

absl::Status Bad(const char* field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("OpenAiBackendConfig.", field, ": ", why));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateOpenAiBackend(const v1::OpenAiBackendConfig& config,
                                                             BackendDeps& deps) {
  ASSIGN_OR_RETURN(OpenAiOptions options, OpenAiOptionsFromConfig(config));
  http::ApplyCapabilityOverrides(config.capabilities(), options.capabilities);
  const bool openai = options.flavor == v1::OpenAiBackendConfig::OPENAI;
  if (!openai && config.http().endpoints().empty()) {
    return Bad("http.endpoints",
               absl::StrCat("required for the ", FlavorName(options.flavor), " flavour"));
  }
  ASSIGN_OR_RETURN(options.api_key, http::ReadApiKey(config.http()));
  if (openai && config.http().endpoints().empty() && options.api_key.empty()) {
    return Bad("http.api_key_env", absl::StrCat(kOpenAiEndpoint, " needs an API key"));
  }
  ASSIGN_OR_RETURN(http::ClientOptions client_options,
                   http::ClientOptionsFromConfig(config.http(), openai ? kOpenAiEndpoint : ""));
  ASSIGN_OR_RETURN(http::HttpBackendOptions backend_options,
                   http::BackendOptionsFromConfig(config.http(), deps.name));
  backend_options.max_n_per_request = std::max(config.max_n_per_request(), 1u);
  if (backend_options.max_n_per_request > 1 && !options.capabilities.native_n) {
    return Bad("max_n_per_request",
               absl::StrCat(config.max_n_per_request(), " needs native n, which the ",
                            FlavorName(options.flavor),
                            " flavour lacks (capabilities.native_n overrides it)"));
  }
  if (backend_options.max_n_per_request > kMaxNPerRequest) {
    return Bad("max_n_per_request", absl::StrCat("at most ", kMaxNPerRequest));
  }
  ASSIGN_OR_RETURN(
      std::shared_ptr<http::Client> client,
      http::Client::Create(http::WithCircuitHook(std::move(client_options), deps), deps.io));
  return std::make_unique<http::HttpBackend>(
      std::make_shared<const OpenAiProtocol>(std::move(options)), std::move(client),
      std::move(backend_options), deps.io);
}

PTC_REGISTER_BACKEND(v1::OpenAiBackendConfig, &CreateOpenAiBackend);

}  // namespace ptc::openai
