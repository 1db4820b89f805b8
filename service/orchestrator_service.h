// The gRPC service ptc.v1.Orchestrator on the callback API. Free of start-up scaffolding (see
// service/server.h) so tests can construct it around any RunContext.
//
// Each call gets a reactor that creates a Run (validation errors finish the call at once), starts
// it, and finishes the call from the Run's done callback. A client cancel or an expired deadline
// reaches the reactor's OnCancel, which cancels the Run and with it every chain upstream.
#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/run.h"

namespace ptc {

class OrchestratorService final : public v1::Orchestrator::CallbackService {
 public:
  explicit OrchestratorService(RunContext ctx) : ctx_(ctx) {}

  grpc::ServerUnaryReactor* Solve(grpc::CallbackServerContext* context,
                                  const v1::SolveRequest* request,
                                  v1::SolveResponse* response) override;
  grpc::ServerWriteReactor<v1::SolveEvent>* SolveStream(grpc::CallbackServerContext* context,
                                                        const v1::SolveRequest* request) override;

  // Blocks the caller (never a gRPC or Asio thread) until no call is in progress, or the timeout
  // passes; returns whether it got idle. For tests and drains.
  bool WaitForIdle(absl::Duration timeout);

  RunContext& context() { return ctx_; }

 private:
  class SolveReactor;
  class StreamReactor;
  // Counts the call and creates its Run; on a bad request returns null and sets *rejected (the
  // call is still counted: the reactor calls CallDone from OnDone either way).
  // `ctx`'s deadline becomes the chains' deadline.
  std::shared_ptr<Run> BeginCall(const grpc::CallbackServerContext& ctx,
                                 const v1::SolveRequest& request, grpc::Status* rejected);
  void CallDone();

  RunContext ctx_;
  absl::Mutex mu_;
  int active_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ptc
