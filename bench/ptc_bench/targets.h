// The Targets ptc-bench calls (load.h): a gRPC Solve on ptc-server or the asyncio peer, and an
// HTTP chat completion (or several in parallel) on the fake backend directly or through a
// gateway.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/ptc_bench/load.h"
#include "boost/asio/io_context.hpp"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "samplers/http/http_client.h"

namespace ptc::bench {

// Solve calls over the callback API. A call is OK when its status is OK and its answer is
// `expected_answer`. Thread-safe.
class SolveTarget : public Target {
 public:
  // `address`: HOST:PORT, plaintext. `channels` separate connections, used in turn.
  SolveTarget(const std::string& address, v1::SolveRequest request, std::string expected_answer,
              int channels = 1);
  ~SolveTarget() override;

  // Waits until every channel is connected.
  absl::Status WaitReady(std::chrono::milliseconds timeout);
  void Start(size_t index, Clock::time_point scheduled, Recorder& rec) override;
  uint32_t chains_per_call() const override { return chains_; }
  // Cancels every call in flight (they then finish CANCELLED, counted as errors).
  void CancelAll();
  size_t in_flight() const;

 private:
  struct Call;
  const v1::SolveRequest request_;
  const std::string expected_;
  uint32_t chains_ = 0;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::Orchestrator::Stub>> stubs_;
  std::atomic<uint64_t> turn_{0};
  mutable std::mutex mu_;
  std::set<Call*> calls_;  // in flight
};

// grpc.health.v1.Health/Check on a gRPC server: a unary call that does no work, the floor any
// gRPC service pays on this machine. OK when the status is OK.
class HealthTarget : public Target {
 public:
  explicit HealthTarget(const std::string& address);
  absl::Status WaitReady(std::chrono::milliseconds timeout);
  void Start(size_t index, Clock::time_point scheduled, Recorder& rec) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

// POST {base_url}/chat/completions with `body`, `fanout` requests at once per call; the call
// completes when the slowest does and is OK when every one answered 200 with a whole body (a
// stream ending in "[DONE]"). Uses ptc's HTTP client (keep-alive pool, no circuit breaker) on
// `io`.
class HttpTarget : public Target {
 public:
  static absl::StatusOr<std::unique_ptr<HttpTarget>> Create(
      boost::asio::io_context& io, const std::string& base_url, std::string body,
      std::vector<std::pair<std::string, std::string>> headers, uint32_t fanout);
  void Start(size_t index, Clock::time_point scheduled, Recorder& rec) override;
  uint32_t chains_per_call() const override { return fanout_; }

 private:
  HttpTarget() = default;
  std::shared_ptr<http::Client> client_;
  http::Request request_;
  uint32_t fanout_ = 1;
};

}  // namespace ptc::bench
