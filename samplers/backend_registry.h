// Backend plugins register a factory keyed by their config message's full protobuf name. The
// server reads `BackendConfig.config` (a google.protobuf.Any), finds the factory by its type and
// builds the backend. A plugin's folder does:
//
//   PTC_REGISTER_BACKEND(ptc::v1::SimBackendConfig, &SimBackend::Create);
//
// where Create is `absl::StatusOr<std::unique_ptr<Backend>>(const Config&, BackendDeps&)`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "common/io_contexts.h"
#include "common/registry.h"
#include "google/protobuf/any.pb.h"
#include "samplers/backend.h"

namespace ptc {

// What a backend may use. Outlives every backend built with it.
struct BackendDeps {
  IoContexts io;     // the chains run on the caller's (see common/io_contexts.h)
  std::string name;  // the configured instance name, for messages
  // HTTP backends report each endpoint's circuit-breaker state here ("closed", "open",
  // "half_open"); may be empty. Called from the backend's threads; must not block.
  std::function<void(const std::string& endpoint, std::string_view state)> circuit_state = {};
};

using BackendFactory = std::function<absl::StatusOr<std::unique_ptr<Backend>>(
    const google::protobuf::Any& config, BackendDeps& deps)>;
using BackendRegistry = Registry<BackendFactory>;

// The full protobuf type name inside an Any's type_url ("type.googleapis.com/ptc.v1.X" ->
// "ptc.v1.X").
std::string AnyTypeName(const google::protobuf::Any& any);

// Builds a backend from its Any config through the registry.
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const google::protobuf::Any& config,
                                                       BackendDeps& deps);

template <typename Config>
struct BackendRegistration {
  using TypedFactory = absl::StatusOr<std::unique_ptr<Backend>> (*)(const Config&, BackendDeps&);
  explicit BackendRegistration(TypedFactory factory) {
    BackendRegistry::Global().Register(
        Config::descriptor()->full_name(),
        [factory](const google::protobuf::Any& any,
                  BackendDeps& deps) -> absl::StatusOr<std::unique_ptr<Backend>> {
          Config config;
          if (!any.UnpackTo(&config)) {
            return absl::InvalidArgumentError("cannot unpack " + Config::descriptor()->full_name());
          }
          return factory(config, deps);
        });
  }
};

#define PTC_REGISTER_BACKEND(ConfigType, factory) \
  static ::ptc::BackendRegistration<ConfigType> ptc_backend_registration_##__LINE__(factory)

}  // namespace ptc
