#include "service/backend_set.h"

#include "absl/strings/str_cat.h"
#include "samplers/backend_registry.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<BackendSet>> BackendSet::Create(const v1::ServerConfig& config,
                                                               const IoContexts& io,
                                                               Metrics* metrics) {
  std::map<std::string, std::unique_ptr<Backend>> backends;
  for (int i = 0; i < config.backends_size(); ++i) {
    const v1::BackendConfig& b = config.backends(i);
    BackendDeps deps{io, b.name()};
    if (metrics != nullptr) {
      deps.circuit_state = [metrics, name = b.name()](const std::string& endpoint,
                                                      std::string_view state) {
        metrics->CircuitState(name, endpoint, state);
      };
    }
    auto backend = CreateBackend(b.config(), deps);
    if (!backend.ok()) {
      return absl::Status(backend.status().code(), absl::StrCat("backends[", i, "] (", b.name(),
                                                                "): ", backend.status().message()));
    }
    backends[b.name()] = *std::move(backend);
  }
  return std::make_unique<BackendSet>(std::move(backends), config.default_backend());
}

BackendSet::BackendSet(std::map<std::string, std::unique_ptr<Backend>> backends,
                       std::string default_name)
    : backends_(std::move(backends)), default_name_(std::move(default_name)) {}

Backend* BackendSet::Find(const std::string& name) const {
  auto it = backends_.find(name);
  return it == backends_.end() ? nullptr : it->second.get();
}

std::string BackendSet::Names() const {
  std::string out;
  for (const auto& [name, _] : backends_) absl::StrAppend(&out, out.empty() ? "" : ", ", name);
  return out;
}

}  // namespace ptc
