// The OpenAI-compatible backend plugin: an http::HttpBackend running OpenAiProtocol, built from
// OpenAiBackendConfig (registered with PTC_REGISTER_BACKEND in openai_backend.cc).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "ptc/v1/backends/openai.pb.h"
#include "samplers/backend.h"
#include "samplers/backend_registry.h"

namespace ptc::openai {

// The endpoint used for the OPENAI flavour when the config lists none.
inline constexpr char kOpenAiEndpoint[] = "https://api.openai.com/v1";

// INVALID_ARGUMENT naming the field for a bad config (default_model, http.endpoints — required
// for every flavour but OPENAI —, max_n_per_request, ...); FAILED_PRECONDITION when the
// configured key cannot be read.
absl::StatusOr<std::unique_ptr<Backend>> CreateOpenAiBackend(const v1::OpenAiBackendConfig& config,
                                                             BackendDeps& deps);

}  // namespace ptc::openai
