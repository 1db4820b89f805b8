// The configured backends by name, built once at start-up through the backend registry.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "common/io_contexts.h"
#include "ptc/v1/config.pb.h"
#include "samplers/backend.h"
#include "service/metrics.h"

namespace ptc {

class BackendSet {
 public:
  // Builds every backend of a validated config; errors name the backend ("backends[0] (sim): ...").
  // `metrics` (optional) receives the HTTP backends' circuit-breaker states.
  static absl::StatusOr<std::unique_ptr<BackendSet>> Create(const v1::ServerConfig& config,
                                                            const IoContexts& io,
                                                            Metrics* metrics = nullptr);
  // Takes backends built elsewhere (tests with fakes).
  BackendSet(std::map<std::string, std::unique_ptr<Backend>> backends, std::string default_name);

  // nullptr when unknown.
  Backend* Find(const std::string& name) const;
  const std::string& default_name() const { return default_name_; }
  std::string Names() const;  // "a, b" for messages

 private:
  std::map<std::string, std::unique_ptr<Backend>> backends_;
  std::string default_name_;
};

}  // namespace ptc
