// What the tests that drive a real in-process server share: simulated backends with test timings
// and prices, calls in flight on the callback API, and a bounded wait for state another thread
// changes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "common/mcq_dataset.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "ptc/v1/config.pb.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::testing_util {

// A simulated backend `name` whose chains start after about `ttft` seconds and then stream fast,
// priced $3 / $15 per million tokens.
inline void AddSim(v1::ServerConfig* c, const std::string& name, double ttft,
                   double failure_rate = 0) {
  v1::SimBackendConfig sim;
  sim.set_time_to_first_token_s(ttft);
  sim.set_tokens_per_second(1e5);
  sim.set_failure_rate(failure_rate);
  auto* b = c->add_backends();
  b->set_name(name);
  b->mutable_config()->PackFrom(sim);
  auto* p = c->add_pricing();
  p->set_backend(name);
  p->set_input_usd_per_mtok(3);
  p->set_output_usd_per_mtok(15);
}

// A request for question `q` (its options shuffled by `shuffle_seed`) with one sampling group of
// `n` chains on `backend`, seeded `seed`; the reference answer is set.
inline v1::SolveRequest McqRequest(const McqQuestion& q, uint64_t shuffle_seed,
                                   const std::string& backend, uint32_t n, uint64_t seed) {
  v1::SolveRequest r;
  McqPrompt p = FormatMcqPrompt(q, shuffle_seed);
  auto* m = r.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content(p.text);
  auto* g = r.add_sampling();
  g->set_backend(backend);
  g->set_n(n);
  g->set_seed(seed);
  r.set_reference_answer(std::string(1, p.correct_letter));
  return r;
}

// Applies the defaults to `config`, validates it, starts the server and a plaintext stub on it;
// a failure fails the calling test (check with ASSERT_NO_FATAL_FAILURE or *server being null).
inline void StartServer(v1::ServerConfig config, std::unique_ptr<Server>* server,
                        std::unique_ptr<v1::Orchestrator::Stub>* stub) {
  config = WithDefaults(std::move(config));
  const absl::Status valid = ValidateServerConfig(config);
  ASSERT_TRUE(valid.ok()) << valid;
  auto s = Server::Start(config);
  ASSERT_TRUE(s.ok()) << s.status();
  *server = *std::move(s);
  *stub = v1::Orchestrator::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
}

// One Solve in flight on the callback API.
struct AsyncCall {
  grpc::ClientContext ctx;
  v1::SolveResponse response;
  grpc::Status status;
  std::chrono::steady_clock::time_point sent;
  std::chrono::steady_clock::duration took{};
  absl::Notification done;
};

// Sends `request` (which must outlive the call) with a deadline and, when not empty, an API key.
inline std::unique_ptr<AsyncCall> SolveAsync(v1::Orchestrator::Stub& stub,
                                             const v1::SolveRequest& request,
                                             std::chrono::milliseconds deadline,
                                             const std::string& api_key = "") {
  auto call = std::make_unique<AsyncCall>();
  AsyncCall* c = call.get();
  c->sent = std::chrono::steady_clock::now();
  c->ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!api_key.empty()) c->ctx.AddMetadata("x-api-key", api_key);
  stub.async()->Solve(&c->ctx, &request, &c->response, [c](grpc::Status s) {
    c->status = std::move(s);
    c->took = std::chrono::steady_clock::now() - c->sent;
    c->done.Notify();
  });
  return call;
}

// Polls every 5 ms, for at most 15 s, until `pred` holds; returns whether it did.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 3000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace ptc::testing_util
