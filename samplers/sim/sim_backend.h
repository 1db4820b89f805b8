// The embedded simulated backend: runs SimModel chains in-process, streaming them in chunks on
// Asio timers (no thread per chain). Registered for ptc.v1.SimBackendConfig.
#pragma once

#include <memory>

#include "common/strand_pool.h"
#include "samplers/backend.h"
#include "samplers/backend_registry.h"
#include "samplers/sim/sim_model.h"

namespace ptc::sim {

class SimBackend : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<Backend>> Create(const v1::SimBackendConfig& config,
                                                         BackendDeps& deps);
  SimBackend(std::shared_ptr<const SimModel> model, const IoContexts& io);

  const BackendCapabilities& capabilities() const override { return caps_; }
  std::string_view default_model() const override { return model_->config().default_model(); }
  std::unique_ptr<ChainHandle> Start(const ChainSpec& spec,
                                     std::shared_ptr<ChainObserver> observer) override;

  const SimModel& model() const { return *model_; }

 private:
  std::shared_ptr<const SimModel> model_;
  StrandPool strands_;  // the chains take their strands from it (not one made per chain)
  BackendCapabilities caps_;
};

}  // namespace ptc::sim
