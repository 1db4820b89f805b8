// What the end-to-end accuracy tests share: an in-process server on a fast simulated model, a
// stub on it, and the per-question statistics they compare strategies with.
#pragma once

#include <memory>
#include <vector>

#include "bench/eval/eval_stats.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::eval::testing_util {

// The local server's config with the default backend's simulated model as `sim` says, streaming
// at a million tokens per second: the tests measure selection, not latency.
inline v1::ServerConfig FastSim(v1::SimBackendConfig sim = {}) {
  v1::ServerConfig c = DefaultServerConfig();
  sim.set_tokens_per_second(1e6);
  c.mutable_backends(0)->mutable_config()->PackFrom(sim);
  return LocalServerConfig(c);
}

// Starts a server on `config` and a plaintext stub on it; a failure fails the calling test
// (check with ASSERT_NO_FATAL_FAILURE).
inline void StartServer(const v1::ServerConfig& config, std::unique_ptr<Server>* server,
                        std::unique_ptr<v1::Orchestrator::Stub>* stub) {
  auto s = Server::Start(config);
  ASSERT_TRUE(s.ok()) << s.status();
  *server = *std::move(s);
  *stub = v1::Orchestrator::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
}

inline double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

// Paired bootstrap 95% CI of mean(a - b) over questions (a[i], b[i]: question i's scores).
inline Interval PairedDiffCi(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return BootstrapMeanCi(d);
}

}  // namespace ptc::eval::testing_util
