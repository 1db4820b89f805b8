// Reads the HttpConfig shared by HTTP backends into client and retry options, with defaults.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "ptc/v1/backends/http.pb.h"
#include "samplers/backend.h"
#include "samplers/backend_registry.h"
#include "samplers/http/http_backend.h"
#include "samplers/http/http_client.h"

namespace ptc::http {

// INVALID_ARGUMENT naming the field ("http.endpoints[1]", "http.retry.max_attempts", ...).
// `default_endpoint` is used when the config lists none (empty = at least one is required).
absl::StatusOr<ClientOptions> ClientOptionsFromConfig(const v1::HttpConfig& config,
                                                      const std::string& default_endpoint = "");
absl::StatusOr<RetryOptions> RetryOptionsFromConfig(const v1::HttpConfig& config);
absl::StatusOr<HedgeOptions> HedgeOptionsFromConfig(const v1::HttpConfig& config);
// The HttpBackend's options from the config (retries and hedging), named `name`; the caller sets
// max_n_per_request.
absl::StatusOr<HttpBackendOptions> BackendOptionsFromConfig(const v1::HttpConfig& config,
                                                            std::string name);

// `options` with its circuit-state callback reporting to `deps.circuit_state` (when set), for the
// backend plugins.
ClientOptions WithCircuitHook(ClientOptions options, const BackendDeps& deps);

// The API key from api_key_env or api_key_file; "" when neither is set. FAILED_PRECONDITION
// naming the variable or file (never the key) when it is set but empty or unreadable.
absl::StatusOr<std::string> ReadApiKey(const v1::HttpConfig& config);

// Applies the set fields of `overrides` to `caps`.
void ApplyCapabilityOverrides(const v1::CapabilityOverrides& overrides, BackendCapabilities& caps);

}  // namespace ptc::http
