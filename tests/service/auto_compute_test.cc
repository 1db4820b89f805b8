// The auto compute policy end to end: a real server on the simulated model.
#include <string>

#include "common/mcq_dataset.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/server_test_util.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;

class AutoComputeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig c;
    c.set_listen("127.0.0.1:0");
    c.set_metrics_listen("off");
    c.set_worker_threads(2);
    testing_util::AddSim(&c, "sim", 0.001);
    ASSERT_NO_FATAL_FAILURE(testing_util::StartServer(c, &server_, &stub_));
  }
  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
      EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
      server_->Shutdown();
    }
  }

  // Unanimous: a question the simulated model knows, at temperature 0 (every chain gives the
  // mode). Else a question it does not know: its chains pick A-D uniformly at random, so a probe
  // of four rarely agrees (this seed's does not).
  static v1::SolveRequest Request(uint32_t n, bool unanimous) {
    v1::SolveRequest r;
    auto* m = r.add_messages();
    m->set_role(v1::Message::ROLE_USER);
    if (unanimous) {
      auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
      EXPECT_TRUE(questions.ok()) << questions.status();
      m->set_content(FormatMcqPrompt((*questions)[0], 1).text);
    } else {
      m->set_content(
          "Answer the following multiple choice question.\n\nWhich is heavier?\n\nA) a\nB) "
          "b\nC) c\nD) d");
    }
    auto* g = r.add_sampling();
    g->set_backend("sim");
    g->set_n(n);
    g->set_seed(7);
    if (unanimous) g->set_temperature(0);
    r.mutable_compute()->mutable_auto_();
    return r;
  }

  grpc::Status Solve(const v1::SolveRequest& r, v1::SolveResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub_->Solve(&ctx, r, out);
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
};

TEST_F(AutoComputeTest, AnAgreeingProbeSettlesTheQuestionAndLaunchesNothingMore) {
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(Request(16, /*unanimous=*/true), &r).ok());
  EXPECT_EQ(r.stop().rule(), "auto");
  EXPECT_TRUE(r.stop().stopped_early());
  EXPECT_EQ(r.stop().after_chains(), 4u);
  EXPECT_EQ(r.ledger().chains_launched(), 4u);
  EXPECT_EQ(r.ledger().chains_not_launched(), 12u);
  EXPECT_GT(r.ledger().tokens_saved_estimate(), 0u);
  EXPECT_EQ(r.compute().policy(), "auto");
  EXPECT_EQ(r.compute().probe(), 4u);
  EXPECT_EQ(r.compute().probe_agreement(), 1);
  EXPECT_TRUE(r.compute().settled());
  EXPECT_EQ(r.candidates_size(), 1);
}

TEST_F(AutoComputeTest, AContestedProbeRunsThePlanWithTheEscalatedThinkingBudget) {
  v1::SolveRequest req = Request(12, /*unanimous=*/false);
  req.mutable_compute()->mutable_auto_()->set_escalate_thinking_budget(2048);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_FALSE(r.compute().settled());
  EXPECT_LT(r.compute().probe_agreement(), 1);
  EXPECT_EQ(r.compute().escalate_thinking_budget(), 2048u);
  EXPECT_FALSE(r.stop().stopped_early());
  ASSERT_EQ(r.chains_size(), 12);
  for (const v1::ChainRecord& c : r.chains()) {
    EXPECT_EQ(c.thinking_budget(), c.index() < 4 ? 0u : 2048u) << c.index();
    if (c.index() >= 4) {
      EXPECT_GT(c.usage().reasoning_tokens(), 0u) << c.index();
    }
    // The probe finished before the rest started.
    if (c.index() >= 4) {
      for (int p = 0; p < 4; ++p) {
        EXPECT_GE(c.started_at_s(), r.chains(p).started_at_s() + r.chains(p).duration_s() - 1e-3);
      }
    }
  }
  // The worst case of the thinking chains was reserved: above 4 short plus 8 long... at least
  // the 8 escalated chains' budgets at the output price.
  EXPECT_GE(r.ledger().reserved_cost_usd(), 8 * 2048 * 15 / 1e6);
}

TEST_F(AutoComputeTest, AfterAContestedProbeTheRequestsStopRuleDecides) {
  v1::SolveRequest req = Request(40, /*unanimous=*/false);
  req.mutable_stop()->mutable_esc()->set_window(4);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.stop().rule(), "auto");
  EXPECT_FALSE(r.compute().settled());
  // ESC's windows of 4 after the probe: every launch is a multiple of 4.
  EXPECT_EQ(r.ledger().chains_launched() % 4, 0u);
  EXPECT_GE(r.ledger().chains_launched(), 8u);
}

TEST_F(AutoComputeTest, BadSettingsAreInvalidArgumentNamingTheField) {
  struct Case {
    std::function<void(v1::SolveRequest*)> change;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {[](auto* r) { r->mutable_compute()->mutable_auto_()->set_settled_agreement(2); },
            "compute.auto.settled_agreement"},
           {[](auto* r) { r->mutable_compute()->mutable_auto_()->set_thinking_model("../x"); },
            "compute.auto.thinking_model"},
           {[](auto* r) { r->mutable_launch()->mutable_waves()->set_size(2); }, "launch"},
       }) {
    v1::SolveRequest req = Request(16, true);
    c.change(&req);
    v1::SolveResponse r;
    const grpc::Status s = Solve(req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field + ":"));
  }
}

}  // namespace
}  // namespace ptc
