// The Anthropic backend plugin: an http::HttpBackend running AnthropicProtocol, registered for
// ptc.v1.AnthropicBackendConfig.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "ptc/v1/backends/anthropic.pb.h"
#include "samplers/anthropic/anthropic_options.h"
#include "samplers/backend.h"
#include "samplers/backend_registry.h"

namespace ptc::anthropic {

// The protocol options a config asks for; INVALID_ARGUMENT naming the field
// ("default_model", "anthropic_version", "capabilities.native_n", "http.api_key_env", ...), or
// FAILED_PRECONDITION when the key's variable or file is unset or unreadable.
absl::StatusOr<AnthropicOptions> OptionsFromConfig(const v1::AnthropicBackendConfig& config);

// The factory registered with PTC_REGISTER_BACKEND.
absl::StatusOr<std::unique_ptr<Backend>> CreateAnthropicBackend(
    const v1::AnthropicBackendConfig& config, BackendDeps& deps);

}  // namespace ptc::anthropic
