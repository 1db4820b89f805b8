// Everything a call passes before its Run starts, and gives back when it ends:
//
//   authenticate (API key → tenant)         UNAUTHENTICATED
//   the tenant's request rate               RESOURCE_EXHAUSTED
//   plan the Run, its cost cap lowered to what the tenant's budget still covers (N shrinks)
//   the tenant's backends                   PERMISSION_DENIED
//   reserve the tenant's chains and spend   RESOURCE_EXHAUSTED
//   global admission (maybe queued)         RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED
//
// When the Run finishes, its chains and reservation are given back and what it actually spent
// (the ledger's cost) is charged to the tenant. Nothing here blocks: a queued call is resumed by
// a callback on the server's first io_context.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "ptc/v1/config.pb.h"
#include "service/admission/access_metrics.h"
#include "service/admission/admission_controller.h"
#include "service/admission/tenants.h"
#include "service/run.h"

namespace ptc {

// One call's passage. Created by Gatekeeper::Begin; thread-safe.
class GatedCall : public std::enable_shared_from_this<GatedCall> {
 public:
  // Runs exactly once, perhaps inline in Begin: OK when the call may Start, or why it may not.
  using Ready = std::function<void(GatedCall&, absl::Status)>;

  // Starts the admitted Run (call once, after Ready said OK). `done` is the Run's, called after
  // the call's chains and reservation were given back. If the call was cancelled in between,
  // `done` gets CANCELLED at once.
  void Start(Run::EventSink events, Run::DoneCallback done);
  // Ends a queued wait (Ready gets CANCELLED) or cancels the running Run. Idempotent.
  void Cancel();
  // For a server shutdown: a queued call's wait ends with UNAVAILABLE `reason`; a running (or
  // about to run) Run answers with what it has (Run::Drain). Idempotent.
  void Drain(const std::string& reason);

  const std::string& tenant() const;

 private:
  friend class Gatekeeper;
  enum class State { kChecking, kQueued, kAdmitted, kRunning, kDone };

  GatedCall(class Gatekeeper& gate, Ready ready) : gate_(gate), ready_(std::move(ready)) {}
  void OnAdmission(absl::Status status);
  // Gives back what the call holds; `spent_usd` is charged to the tenant.
  void ReleaseAll(double spent_usd);

  Gatekeeper& gate_;
  Ready ready_;
  Tenant* tenant_ = nullptr;
  std::shared_ptr<Run> run_;
  uint32_t chains_ = 0;  // reserved with the tenant and the admission controller
  double reserved_usd_ = 0;
  std::mutex mu_;  // guards everything below
  bool tenant_reserved_ = false;
  bool admitted_ = false;
  State state_ = State::kChecking;
  uint64_t ticket_ = 0;
  bool cancelled_ = false;
  std::string drain_reason_;  // set by Drain
};

// What a call shows the gatekeeper.
struct CallInfo {
  std::string x_api_key;      // metadata "x-api-key", empty when absent
  std::string authorization;  // metadata "authorization", empty when absent
  Run::Clock::time_point deadline = Run::Clock::time_point::max();
};

class Gatekeeper {
 public:
  // `config` is validated and has its defaults applied; `ctx` outlives the gatekeeper.
  Gatekeeper(const v1::ServerConfig& config, RunContext& ctx);

  // Starts a call's passage; `ready` runs exactly once (see GatedCall::Ready).
  std::shared_ptr<GatedCall> Begin(const CallInfo& call, const v1::SolveRequest& request,
                                   GatedCall::Ready ready);

  TenantRegistry& tenants() { return tenants_; }
  AdmissionController& admission() { return admission_; }

 private:
  friend class GatedCall;
  // Authenticates, rate-limits, plans and reserves; OK when the call goes to global admission.
  absl::Status Check(GatedCall& call, const CallInfo& info, const v1::SolveRequest& request);
  absl::Status PlanWithinBudget(GatedCall& call, const CallInfo& info,
                                const v1::SolveRequest& request);
  void Reject(const GatedCall& call, const absl::Status& status);

  RunContext& ctx_;
  TenantRegistry tenants_;
  AdmissionController admission_;
  AccessMetrics metrics_;
};

}  // namespace ptc
