// The Backend interface: something that runs chains against a model (an HTTP server, an API, or
// the embedded simulated model). Backends are plugins: see samplers/backend_registry.h.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "samplers/chain.h"

namespace ptc {

// Receives one chain's progress. Calls for one chain never overlap and come in order: zero or more
// OnDelta, then exactly one OnDone. They run on the backend's executor threads, never inside
// Backend::Start and never inside ChainHandle::Cancel. Implementations must not block.
class ChainObserver {
 public:
  virtual ~ChainObserver() = default;
  virtual void OnDelta(const ChainDelta& delta) = 0;
  virtual void OnDone(ChainResult result) = 0;
};

// Controls one started chain.
class ChainHandle {
 public:
  virtual ~ChainHandle() = default;
  // Aborts the chain upstream (closes the stream so the model stops generating). Thread-safe,
  // idempotent, non-blocking. OnDone still arrives exactly once: kCancelled with the usage
  // generated so far, or the real result if the chain had already finished.
  virtual void Cancel() = 0;
};

enum class ThinkingStyle { kNone, kBudgetTokens, kEffortLevels, kOnOffSwitch };

struct BackendCapabilities {
  bool native_n = false;  // one upstream request can return several chains
  bool logprobs = false;
  bool temperature = true;
  bool streaming = true;
  ThinkingStyle thinking = ThinkingStyle::kNone;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const BackendCapabilities& capabilities() const = 0;
  virtual std::string_view default_model() const = 0;

  // Starts one chain and returns at once; never blocks. The backend keeps `observer` alive until
  // it has called OnDone. The handle may be dropped without cancelling the chain.
  virtual std::unique_ptr<ChainHandle> Start(const ChainSpec& spec,
                                             std::shared_ptr<ChainObserver> observer) = 0;

  // Starts several chains of one group at once (specs differ only in index and seed), one handle
  // per spec, in order. A backend with native n may serve them with fewer upstream requests; the
  // default starts each alone.
  virtual std::vector<std::unique_ptr<ChainHandle>> StartMany(
      std::span<const ChainSpec> specs, std::span<const std::shared_ptr<ChainObserver>> observers) {
    std::vector<std::unique_ptr<ChainHandle>> handles;
    handles.reserve(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) handles.push_back(Start(specs[i], observers[i]));
    return handles;
  }
};

}  // namespace ptc
