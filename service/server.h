// Start-up scaffolding around OrchestratorService: the Asio threads, the backends, the metrics
// exposer and the gRPC server (with the standard health service and server reflection). Used by
// ptc-server's main, by `ptc eval` for its in-process server, and by tests.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "common/io_contexts.h"
#include "common/io_threads.h"
#include "grpcpp/server.h"
#include "prometheus/exposer.h"
#include "ptc/v1/config.pb.h"
#include "service/backend_set.h"
#include "service/metrics.h"
#include "service/orchestrator_service.h"
#include "service/pricing.h"

namespace ptc {

class Server {
 public:
  // Builds everything from a validated config (see config.h) and starts serving. A listen port
  // of 0 picks a free port (see port()).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const v1::ServerConfig& config);
  ~Server();

  int port() const { return port_; }
  std::string address() const;          // "HOST:PORT" actually bound
  std::string metrics_address() const;  // "" when the exposer is off

  // Graceful shutdown: marks health NOT_SERVING and stops accepting calls; lets in-flight calls
  // finish for up to `grace`; then has the rest answer with what they have (queued calls get
  // UNAVAILABLE, running ones cancel their chains and select from the finished ones, their
  // response's partial_reason saying so) and gives them kAnswerMargin to do it, after which gRPC
  // cancels what is left. Then stops the Asio threads. Idempotent. Blocks: call it from main or a
  // test, never a handler.
  void Shutdown(absl::Duration grace = absl::Seconds(5));
  static constexpr absl::Duration kAnswerMargin = absl::Seconds(2);
  // Blocks until Shutdown (from another thread) completes.
  void Wait();

  OrchestratorService& service() { return *service_; }
  Metrics& metrics() { return *metrics_; }
  // The io_contexts, one per worker thread.
  const IoContexts& io() const { return io_->contexts(); }

 private:
  Server() = default;

  v1::ServerConfig config_;
  // One io_context per worker thread, each run by its thread alone (see common/io_threads.h).
  std::unique_ptr<IoThreads> io_;
  std::unique_ptr<BackendSet> backends_;
  PriceTable prices_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<OrchestratorService> service_;
  std::unique_ptr<grpc::Server> grpc_;
  int port_ = 0;
  std::string host_;
  bool shut_down_ = false;
};

}  // namespace ptc
