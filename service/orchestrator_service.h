// The gRPC service ptc.v1.Orchestrator on the callback API. Free of start-up scaffolding (see
// service/server.h) so tests can construct it around any RunContext.
//
// Each call gets a reactor that passes the call through the Gatekeeper (authentication, tenant
// limits, the plan, admission; a refusal finishes the call at once, a full server may queue it),
// starts its Run, and finishes the call from the Run's done callback. A client cancel or an
// expired deadline reaches the reactor's OnCancel, which ends a queued wait or cancels the Run and
// with it every chain upstream.
#pragma once

#include <condition_variable>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/gatekeeper.h"
#include "service/run.h"

namespace ptc {

class OrchestratorService final : public v1::Orchestrator::CallbackService {
 public:
  // `config` (validated, defaults applied) gives the tenants and admission limits.
  OrchestratorService(RunContext ctx, const v1::ServerConfig& config)
      : ctx_(ctx), gate_(config, ctx_) {}

  grpc::ServerUnaryReactor* Solve(grpc::CallbackServerContext* context,
                                  const v1::SolveRequest* request,
                                  v1::SolveResponse* response) override;
  grpc::ServerWriteReactor<v1::SolveEvent>* SolveStream(grpc::CallbackServerContext* context,
                                                        const v1::SolveRequest* request) override;

  // Blocks the caller (never a gRPC or Asio thread) until no call is in progress, or the timeout
  // passes; returns whether it got idle. For tests and drains.
  bool WaitForIdle(absl::Duration timeout);
  // Has every call in progress, and every call that starts from now on, answer with what it has:
  // queued calls get UNAVAILABLE `reason`, running ones cancel their chains and answer from the
  // finished ones (GatedCall::Drain). For a server shutdown. Non-blocking.
  void Drain(const std::string& reason);

  RunContext& context() { return ctx_; }
  Gatekeeper& gatekeeper() { return gate_; }

 private:
  class SolveReactor;
  class StreamReactor;
  // Counts the call and sends it through the gatekeeper; `ready` runs once, perhaps inline (see
  // GatedCall::Ready). The call stays counted until the reactor calls CallDone from OnDone.
  // `ctx`'s deadline becomes the chains' deadline.
  std::shared_ptr<GatedCall> BeginCall(const grpc::CallbackServerContext& ctx,
                                       const v1::SolveRequest& request, GatedCall::Ready ready);
  void CallDone(const GatedCall* call);

  RunContext ctx_;
  Gatekeeper gate_;
  std::condition_variable idle_;  // notified when active_calls_ drops to 0
  std::mutex mu_;                 // guards everything below
  int active_calls_ = 0;
  // The calls in progress (their reactors hold them), for Drain.
  absl::flat_hash_map<const GatedCall*, std::weak_ptr<GatedCall>> calls_;
  std::string drain_reason_;  // set by Drain
};

}  // namespace ptc
