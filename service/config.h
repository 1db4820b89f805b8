// Server configuration: text-format ptc.v1.ServerConfig, every field validated at start-up.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "ptc/v1/config.pb.h"

namespace ptc {

// The configuration used when no --config is given: one embedded simulated backend named "sim"
// on the bundled GPQA-style sample, priced like a frontier reasoning model.
v1::ServerConfig DefaultServerConfig();

// `base` made to run in-process: a free loopback port (see Server::port()), no metrics exposer.
// For `ptc eval` without --server, and tests.
v1::ServerConfig LocalServerConfig(v1::ServerConfig base = DefaultServerConfig());

// Parses text-format protobuf. Syntax errors name the line and column; the result is validated
// and has defaults filled in (see WithDefaults).
absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& text,
                                                   const std::string& source_name);
absl::StatusOr<v1::ServerConfig> LoadServerConfigFile(const std::string& path);

// Fills every 0 / empty field that has a documented default (config.proto).
v1::ServerConfig WithDefaults(v1::ServerConfig config);
v1::ServerLimits WithDefaults(v1::ServerLimits limits);

// Checks a config with defaults filled in; INVALID_ARGUMENT naming the field, e.g.
// "backends[1].name: duplicate \"sim\"". Does not build the backends (the server does).
absl::Status ValidateServerConfig(const v1::ServerConfig& config);

}  // namespace ptc
