// Graceful shutdown through the real server: calls that finish within the grace period are
// answered normally; the rest answer with what they have (partial results, the ledger exact);
// queued calls are refused; and nothing is left running.
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/mcq_dataset.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/config.h"
#include "service/server.h"
#include "tests/service/server_test_util.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using testing_util::AddSim;
using testing_util::AsyncCall;
using testing_util::Eventually;

class DrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig c;
    c.set_listen("127.0.0.1:0");
    c.set_metrics_listen("off");
    c.set_worker_threads(2);
    AddSim(&c, "fast", 0.001);
    AddSim(&c, "medium", 0.2);
    AddSim(&c, "slow", 500);  // never finishes within a test
    c.mutable_admission()->set_max_chains_in_flight(8);
    ASSERT_NO_FATAL_FAILURE(testing_util::StartServer(c, &server_, &stub_));
    auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
    ASSERT_TRUE(questions.ok()) << questions.status();
    question_ = (*questions)[0];
  }

  // `fast` chains on the fast backend, then `slow` on the slow one, then `medium`.
  v1::SolveRequest Request(uint32_t fast, uint32_t slow, uint32_t medium = 0) {
    v1::SolveRequest r;
    McqPrompt p = FormatMcqPrompt(question_, 1);
    auto* m = r.add_messages();
    m->set_role(v1::Message::ROLE_USER);
    m->set_content(p.text);
    if (fast > 0) {
      auto* g = r.add_sampling();
      g->set_backend("fast");
      g->set_n(fast);
      g->set_seed(3);
    }
    if (slow > 0) {
      auto* g = r.add_sampling();
      g->set_backend("slow");
      g->set_n(slow);
    }
    if (medium > 0) {
      auto* g = r.add_sampling();
      g->set_backend("medium");
      g->set_n(medium);
    }
    return r;
  }

  std::unique_ptr<AsyncCall> SolveAsync(const v1::SolveRequest& r) {
    return testing_util::SolveAsync(*stub_, r, std::chrono::seconds(60));
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
  McqQuestion question_;
};

TEST_F(DrainTest, StragglersAnswerWithWhatTheyHaveAndQueuedCallsAreRefused) {
  // Partial: 3 chains finish at once, 3 never would.
  auto partial = SolveAsync(Request(3, 3));
  ASSERT_TRUE(Eventually([&] { return server_->metrics().chains_in_flight() == 3; }));
  // Nothing finished: the quorum (1) cannot be met.
  auto nothing = SolveAsync(Request(0, 2));
  ASSERT_TRUE(Eventually(
      [&] { return server_->service().gatekeeper().admission().chains_in_flight() == 8; }));
  // Queued behind them: admission holds 8 chains.
  auto queued = SolveAsync(Request(1, 0));
  ASSERT_TRUE(
      Eventually([&] { return server_->service().gatekeeper().admission().queued() == 1; }));

  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown(absl::Milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  // The grace period, then the answers: well before gRPC's hard deadline (grace + margin).
  EXPECT_LT(took, std::chrono::milliseconds(300) + std::chrono::seconds(2));

  partial->done.WaitForNotification();
  ASSERT_TRUE(partial->status.ok()) << partial->status.error_message();
  const v1::SolveResponse& r = partial->response;
  EXPECT_EQ(r.partial_reason(), "server shutting down");
  EXPECT_FALSE(r.answer().empty());
  EXPECT_EQ(r.ledger().chains_succeeded(), 3u);
  EXPECT_EQ(r.ledger().chains_cancelled(), 3u);
  double chain_cost = 0;
  for (const auto& c : r.chains()) chain_cost += c.cost_usd();
  EXPECT_NEAR(r.ledger().cost_usd(), chain_cost, 1e-12);
  double votes = 0;
  for (const auto& c : r.candidates()) votes += c.votes();
  EXPECT_EQ(votes, 3);  // only the finished chains voted

  nothing->done.WaitForNotification();
  EXPECT_EQ(nothing->status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(nothing->status.error_message(), HasSubstr("server shutting down: quorum not met"));

  queued->done.WaitForNotification();
  EXPECT_EQ(queued->status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(queued->status.error_message(), HasSubstr("server shutting down"));

  EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
  EXPECT_EQ(server_->service().gatekeeper().admission().chains_in_flight(), 0u);
}

TEST_F(DrainTest, CallsThatFinishWithinTheGracePeriodAreAnsweredInFull) {
  std::vector<std::unique_ptr<AsyncCall>> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(SolveAsync(Request(0, 0, /*medium=*/2)));
  // All four are running (about 0.2 s each) when the shutdown begins.
  ASSERT_TRUE(Eventually(
      [&] { return server_->service().gatekeeper().admission().chains_in_flight() == 8; }));
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown(absl::Seconds(30));  // returns as soon as they are done
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  for (auto& c : calls) {
    c->done.WaitForNotification();
    ASSERT_TRUE(c->status.ok()) << c->status.error_message();
    EXPECT_EQ(c->response.partial_reason(), "");
    EXPECT_EQ(c->response.ledger().chains_succeeded(), 2u);
  }
}

}  // namespace
}  // namespace ptc
