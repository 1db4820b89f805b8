// The real gRPC server in-process on loopback, on the embedded simulated backends.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "common/mcq_dataset.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "ptc/v1/backends/sim.pb.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/config.h"
#include "service/server.h"
#include "tests/service/server_test_util.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using testing_util::AddSim;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig c;
    c.set_listen("127.0.0.1:0");
    c.set_metrics_listen(MetricsListen());
    c.set_worker_threads(2);
    AddSim(&c, "sim", 0.5);  // chains last at least a few hundred ms
    AddSim(&c, "fast", 0.001);
    AddSim(&c, "slow", 500);  // chains that do not finish within a test
    AddSim(&c, "flaky", 0.001, 0.5);
    AddSim(&c, "broken", 0.001, 1.0);  // every chain fails
    c.mutable_limits()->set_max_chains_per_request(128);
    c.mutable_limits()->set_max_prompt_bytes(4096);
    ASSERT_NO_FATAL_FAILURE(testing_util::StartServer(c, &server_, &stub_));
    auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
    ASSERT_TRUE(questions.ok()) << questions.status();
    question_ = (*questions)[0];
  }

  // Off by default: stopping the exposer takes its HTTP server a couple of seconds.
  virtual std::string MetricsListen() const { return "off"; }

  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
      EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
      server_->Shutdown();
    }
  }

  v1::SolveRequest Request(const std::string& backend, uint32_t n) {
    return testing_util::McqRequest(question_, 1, backend, n, 42);
  }

  grpc::Status Solve(const v1::SolveRequest& r, v1::SolveResponse* out, int deadline_ms = 60000) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    return stub_->Solve(&ctx, r, out);
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
  McqQuestion question_;
};

v1::SolveRequest Unanimous(v1::SolveRequest r) {
  for (auto& g : *r.mutable_sampling()) g.set_temperature(0);
  return r;
}

TEST_F(ServiceTest, FansOut64ChainsThatOverlapInTime) {
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(Request("sim", 64), &r).ok());
  ASSERT_EQ(r.chains_size(), 64);
  double last_start = 0, first_end = 1e9;
  for (const auto& c : r.chains()) {
    EXPECT_EQ(c.status(), v1::CHAIN_STATUS_OK);
    last_start = std::max(last_start, c.started_at_s());
    first_end = std::min(first_end, c.started_at_s() + c.duration_s());
  }
  // Every chain had started before the first one finished: all 64 were in flight together.
  EXPECT_LT(last_start, first_end);
  EXPECT_EQ(r.ledger().chains_launched(), 64u);
  EXPECT_EQ(r.ledger().chains_succeeded(), 64u);
}

TEST_F(ServiceTest, ResponseAddsUpAndIsGraded) {
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(Request("fast", 16), &r).ok());
  uint32_t votes = 0;
  for (const auto& c : r.candidates()) votes += c.votes();
  EXPECT_EQ(votes + r.unparseable_chains(), 16u);
  ASSERT_FALSE(r.candidates().empty());
  EXPECT_EQ(r.answer(), r.candidates(0).answer());
  EXPECT_DOUBLE_EQ(r.confidence(), r.candidates(0).share());
  uint64_t prompt = 0, completion = 0;
  double cost = 0;
  for (const auto& c : r.chains()) {
    prompt += c.usage().prompt_tokens();
    completion += c.usage().completion_tokens();
    cost += c.cost_usd();
    EXPECT_GT(c.time_to_first_token_s(), 0);
    EXPECT_LE(c.time_to_first_token_s(), c.duration_s());
  }
  EXPECT_EQ(r.ledger().tokens().prompt_tokens(), prompt);
  EXPECT_EQ(r.ledger().tokens().completion_tokens(), completion);
  EXPECT_NEAR(r.ledger().cost_usd(), cost, 1e-12);
  EXPECT_NEAR(cost, (prompt * 3.0 + completion * 15.0) / 1e6, 1e-12);
  ASSERT_TRUE(r.has_correct());
  EXPECT_EQ(r.correct(), r.answer() == r.reference_answer());
  EXPECT_EQ(r.strategy(), "majority");
}

TEST_F(ServiceTest, SameSeedSameChains) {
  v1::SolveResponse a, b;
  ASSERT_TRUE(Solve(Request("fast", 8), &a).ok());
  ASSERT_TRUE(Solve(Request("fast", 8), &b).ok());
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(a.chains(i).answer(), b.chains(i).answer());
    EXPECT_EQ(a.chains(i).usage().completion_tokens(), b.chains(i).usage().completion_tokens());
  }
  EXPECT_EQ(a.answer(), b.answer());
}

TEST_F(ServiceTest, ThinkingBudgetIsReasoningTokens) {
  v1::SolveRequest req = Request("fast", 4);
  req.mutable_sampling(0)->set_thinking_budget(300);
  req.set_include_chain_text(true);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_GT(r.ledger().tokens().reasoning_tokens(), 0u);
  for (const auto& c : r.chains()) {
    EXPECT_LE(c.usage().reasoning_tokens(), 300u);
    EXPECT_FALSE(c.reasoning().empty());
  }
}

TEST_F(ServiceTest, AnEffortLevelIsATokenBudgetOnTheSimulatedModel) {
  v1::SolveRequest req = Request("fast", 4);
  req.mutable_sampling(0)->set_reasoning_effort("low");
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_GT(r.ledger().tokens().reasoning_tokens(), 0u);
  for (const auto& c : r.chains()) {
    EXPECT_EQ(c.thinking_budget(), 2048u);  // "low" (samplers/thinking_levels.h)
    EXPECT_EQ(c.reasoning_effort(), "");
    EXPECT_LE(c.usage().reasoning_tokens(), 2048u);
  }
}

TEST_F(ServiceTest, FailedChainsAreRecordedAndDoNotVote) {
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(Request("flaky", 32), &r).ok());
  EXPECT_GT(r.ledger().chains_failed(), 0u);
  EXPECT_EQ(r.ledger().chains_failed() + r.ledger().chains_succeeded(), 32u);
  uint32_t votes = 0;
  for (const auto& c : r.candidates()) votes += c.votes();
  EXPECT_EQ(votes + r.unparseable_chains(), r.ledger().chains_succeeded());
  for (const auto& c : r.chains()) {
    if (c.status() == v1::CHAIN_STATUS_FAILED) {
      EXPECT_THAT(c.error(), HasSubstr("simulated"));
    }
  }
}

TEST_F(ServiceTest, WhenNoChainSucceedsTheRequestFailsNamingTheFirstError) {
  v1::SolveResponse r;
  const grpc::Status s = Solve(Request("broken", 4), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("quorum not met: 0 of 4 chains finished OK"));
  EXPECT_THAT(s.error_message(), HasSubstr("4 failed"));
  EXPECT_THAT(s.error_message(), HasSubstr("simulated"));
}

TEST_F(ServiceTest, QuorumOfOkChains) {
  // About half of the flaky backend's 32 chains fail (seeded): a quorum of 8 is met, one of 32
  // is not.
  v1::SolveRequest req = Request("flaky", 32);
  req.mutable_limits()->set_min_ok_chains(8);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_GE(r.ledger().chains_succeeded(), 8u);
  EXPECT_GT(r.ledger().chains_failed(), 0u);
  EXPECT_FALSE(r.answer().empty());

  req.mutable_limits()->set_min_ok_chains(32);
  const grpc::Status s = Solve(req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("limits.min_ok_chains is 32"));

  // More than the plan: the request is wrong.
  req.mutable_limits()->set_min_ok_chains(33);
  EXPECT_EQ(Solve(req, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, CostCapBelowTheQuorumIsResourceExhausted) {
  v1::SolveRequest req = Request("fast", 10);
  req.mutable_sampling(0)->set_max_tokens(1000);
  const double worst = ((req.messages(0).content().size() + 8) * 3.0 + 1000 * 15.0) / 1e6;
  req.mutable_limits()->set_max_cost_usd(3.5 * worst);  // 3 chains fit
  req.mutable_limits()->set_min_ok_chains(4);
  v1::SolveResponse r;
  const grpc::Status s = Solve(req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("only 3 chains fit"));
  EXPECT_THAT(s.error_message(), HasSubstr("min_ok_chains is 4"));
  req.mutable_limits()->set_min_ok_chains(3);
  EXPECT_TRUE(Solve(req, &r).ok());
}

TEST_F(ServiceTest, EarlyStopWaitsForTheQuorum) {
  // Unanimous chains: Adaptive-Consistency alone stops after 4 (see below); with a quorum of 10
  // it cannot stop before 10 chains have finished OK.
  v1::SolveRequest req = Unanimous(Request("fast", 16));
  req.mutable_stop()->mutable_adaptive_consistency();
  req.mutable_launch()->mutable_waves()->set_size(2);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  ASSERT_TRUE(r.stop().stopped_early());
  EXPECT_LT(r.stop().after_chains(), 10u);
  req.mutable_limits()->set_min_ok_chains(10);
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_TRUE(r.stop().stopped_early());
  EXPECT_GE(r.stop().after_chains(), 10u);
  EXPECT_GE(r.ledger().chains_succeeded(), 10u);
}

TEST_F(ServiceTest, DeepConfOnlineCutsLowConfidenceChainsAfterTheWarmup) {
  v1::SolveRequest req = Request("fast", 48);
  // Not a dataset question: the simulated model picks letters at random, so the vote never
  // settles and every chain after the warm-up runs or is cut.
  req.mutable_messages(0)->set_content(
      "Answer with the letter of your choice.\n\nA) red\nB) green\nC) blue\nD) yellow");
  req.clear_reference_answer();
  auto* d = req.mutable_stop()->mutable_deepconf_online();
  d->set_warmup(8);
  d->set_window_tokens(32);
  d->set_consensus(1.0);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  ASSERT_TRUE(r.stop().has_cut_threshold());
  EXPECT_GT(r.stop().cut_threshold(), 0);
  uint32_t cut = 0;
  for (const auto& c : r.chains()) {
    if (!c.cut_low_confidence()) continue;
    ++cut;
    EXPECT_GE(c.index(), 8u) << "a warm-up chain was cut";
    EXPECT_EQ(c.status(), v1::CHAIN_STATUS_CANCELLED);
    EXPECT_EQ(c.vote_weight(), 0);
    EXPECT_GE(c.usage().completion_tokens() + c.usage().reasoning_tokens(), 32u);
  }
  EXPECT_EQ(cut, r.ledger().chains_cut_low_confidence());
  EXPECT_EQ(r.ledger().chains_cancelled(), cut);
  // keep_percent 90: about a tenth of the chains fall below the warm-up's 10th percentile at
  // some point of their stream; with 40 candidates at least one is cut (seeded).
  EXPECT_GT(cut, 0u);
  EXPECT_LT(cut, 40u);
  EXPECT_GT(r.ledger().tokens_saved_estimate(), 0u);
}

TEST_F(ServiceTest, DeepConfOnlineStopsOnConfidentConsensus) {
  v1::SolveRequest req = Unanimous(Request("fast", 64));
  req.mutable_stop()->mutable_deepconf_online();  // warm-up 16, consensus 0.95
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_TRUE(r.stop().stopped_early());
  EXPECT_EQ(r.stop().after_chains(), 16u);  // unanimous: settled right after the warm-up
  EXPECT_EQ(r.stop().rule(), "deepconf_online");
  EXPECT_GE(r.stop().statistic(), 0.95);
  EXPECT_EQ(r.ledger().chains_launched(), 16u);
}

TEST_F(ServiceTest, StreamSendsStartedFinishedTallyThenFinal) {
  grpc::ClientContext ctx;
  auto reader = stub_->SolveStream(&ctx, Request("fast", 8));
  v1::SolveEvent e;
  int started = 0, finished = 0, tallies = 0, finals = 0;
  uint32_t last_tally = 0;
  v1::SolveResponse final_response;
  while (reader->Read(&e)) {
    EXPECT_EQ(finals, 0) << "nothing may follow the final event";
    switch (e.event_case()) {
      case v1::SolveEvent::kChainStarted:
        ++started;
        break;
      case v1::SolveEvent::kChainFinished:
        ++finished;
        break;
      case v1::SolveEvent::kTally:
        ++tallies;
        EXPECT_EQ(e.tally().finished(), last_tally + 1);
        last_tally = e.tally().finished();
        break;
      case v1::SolveEvent::kFinal:
        ++finals;
        final_response = e.final();
        break;
      default:
        ADD_FAILURE() << "empty event";
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(started, 8);
  EXPECT_EQ(finished, 8);
  EXPECT_EQ(tallies, 8);
  EXPECT_EQ(finals, 1);
  EXPECT_EQ(final_response.chains_size(), 8);
}

TEST_F(ServiceTest, ClientCancelMidRequestLeavesNoChainsInFlight) {
  grpc::ClientContext ctx;
  auto reader = stub_->SolveStream(&ctx, Request("slow", 64));
  v1::SolveEvent e;
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(reader->Read(&e));
    ASSERT_TRUE(e.has_chain_started());
  }
  EXPECT_EQ(server_->metrics().chains_in_flight(), 64);
  ctx.TryCancel();
  while (reader->Read(&e)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
  EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
}

TEST_F(ServiceTest, ExpiredDeadlineCancelsTheChains) {
  v1::SolveResponse r;
  grpc::Status s = Solve(Request("slow", 16), &r, /*deadline_ms=*/300);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
  EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
}

TEST_F(ServiceTest, CostCapShrinksThePlan) {
  v1::SolveRequest req = Request("fast", 10);
  req.mutable_sampling(0)->set_max_tokens(1000);
  const double worst = ((req.messages(0).content().size() + 8) * 3.0 + 1000 * 15.0) / 1e6;
  req.mutable_limits()->set_max_cost_usd(3.5 * worst);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.ledger().chains_launched(), 3u);
  EXPECT_EQ(r.ledger().chains_dropped_for_budget(), 7u);
  EXPECT_LE(r.ledger().reserved_cost_usd(), 3.5 * worst);
  EXPECT_LE(r.ledger().cost_usd(), r.ledger().reserved_cost_usd());

  req.mutable_limits()->set_max_cost_usd(worst / 2);
  EXPECT_EQ(Solve(req, &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ServiceTest, TokenCapShrinksThePlanAndGenerationStaysUnderIt) {
  v1::SolveRequest req = Request("fast", 10);
  req.mutable_sampling(0)->set_max_tokens(800);
  const uint64_t worst = req.messages(0).content().size() + 8 + 800;
  req.mutable_limits()->set_max_total_tokens(4 * worst + 1);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.ledger().chains_launched(), 4u);
  EXPECT_EQ(r.ledger().chains_dropped_for_budget(), 6u);
  EXPECT_EQ(r.ledger().reserved_tokens(), 4 * worst);
  const v1::TokenUsage& t = r.ledger().tokens();
  EXPECT_LE(t.prompt_tokens() + t.completion_tokens() + t.reasoning_tokens(), 4 * worst);
  req.mutable_limits()->set_max_total_tokens(worst - 1);
  EXPECT_EQ(Solve(req, &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// Greedy (temperature 0) chains all give the question's modal answer: a unanimous vote.
TEST_F(ServiceTest, StopDecisionComesBeforeTheCancelledChainsAndTheFinalAnswer) {
  // 8 fast chains and 24 that would run for minutes; Adaptive-Consistency stops after 4
  // unanimous votes, all at once, so the 24 slow ones must be cancelled.
  v1::SolveRequest req = Unanimous(Request("fast", 8));
  auto* slow = req.add_sampling();
  *slow = req.sampling(0);
  slow->set_backend("slow");
  slow->set_n(24);
  req.mutable_stop()->mutable_adaptive_consistency();
  req.mutable_launch()->mutable_all_at_once();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = stub_->SolveStream(&ctx, req);
  std::vector<v1::SolveEvent> events;
  v1::SolveEvent e;
  while (reader->Read(&e)) events.push_back(e);
  ASSERT_TRUE(reader->Finish().ok());
  auto stop = std::find_if(events.begin(), events.end(), [](auto& x) { return x.has_stop(); });
  ASSERT_NE(stop, events.end());
  EXPECT_EQ(stop->stop().rule(), "adaptive_consistency");
  EXPECT_TRUE(stop->stop().stopped_early());
  EXPECT_EQ(stop->stop().after_chains(), 4u);
  EXPECT_NEAR(stop->stop().statistic(), 0.96875, 1e-9);
  // After the decision: no launch, and every slow chain ends cancelled (fast chains still running
  // at the decision are cancelled too, unless they finished first).
  int slow_cancelled_after = 0;
  for (auto it = stop + 1; it != events.end(); ++it) {
    EXPECT_FALSE(it->has_chain_started());
    if (!it->has_chain_finished()) continue;
    const v1::ChainRecord& c = it->chain_finished().chain();
    if (c.backend() == "slow") {
      EXPECT_EQ(c.status(), v1::CHAIN_STATUS_CANCELLED);
      ++slow_cancelled_after;
    }
  }
  EXPECT_EQ(slow_cancelled_after, 24);
  ASSERT_TRUE(events.back().has_final());
  const v1::SolveResponse& r = events.back().final();
  EXPECT_GE(r.ledger().chains_cancelled(), 24u);
  EXPECT_EQ(r.ledger().chains_cancelled() + r.ledger().chains_succeeded(), 32u);
  EXPECT_EQ(r.ledger().chains_launched(), 32u);
  EXPECT_GT(r.ledger().tokens_saved_estimate(), 0u);
  EXPECT_TRUE(r.stop().stopped_early());
}

TEST_F(ServiceTest, WavesLaunchNoMoreOnceTheRuleStops) {
  for (int rule = 0; rule < 2; ++rule) {
    SCOPED_TRACE(rule == 0 ? "adaptive consistency, waves of 4" : "esc, windows of 5");
    v1::SolveRequest req = Unanimous(Request("fast", 40));
    if (rule == 0) {
      req.mutable_stop()->mutable_adaptive_consistency();
    } else {
      req.mutable_stop()->mutable_esc()->set_window(5);
    }
    v1::SolveResponse r;
    ASSERT_TRUE(Solve(req, &r).ok());
    const uint32_t wave = rule == 0 ? 4 : 5;  // the rules' default waves
    EXPECT_EQ(r.ledger().chains_launched(), wave);
    EXPECT_EQ(r.ledger().chains_not_launched(), 40 - wave);
    EXPECT_EQ(r.chains_size(), static_cast<int>(wave));
    EXPECT_EQ(r.ledger().chains_cancelled(), 0u);
    // Saved: 36 (or 35) unlaunched chains at the mean finished chain's tokens and price.
    uint64_t tokens = 0;
    for (const auto& c : r.chains()) {
      tokens += c.usage().prompt_tokens() + c.usage().completion_tokens();
    }
    EXPECT_NEAR(double(r.ledger().tokens_saved_estimate()), double(tokens) / wave * (40 - wave),
                40.0);  // integer means
    EXPECT_NEAR(r.ledger().cost_saved_usd_estimate(), r.ledger().cost_usd() / wave * (40 - wave),
                r.ledger().cost_usd() * 0.05);
    EXPECT_EQ(r.candidates_size(), 1);
  }
}

TEST_F(ServiceTest, FixedNRunsEveryWaveWhenWavesAreAsked) {
  v1::SolveRequest req = Request("fast", 10);
  req.mutable_launch()->mutable_waves()->set_size(3);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.ledger().chains_launched(), 10u);
  EXPECT_FALSE(r.stop().stopped_early());
  EXPECT_EQ(r.stop().rule(), "fixed");
  // Waves: chain 3 starts only after chains 0-2 are done.
  const double first_wave_end = std::max({r.chains(0).started_at_s() + r.chains(0).duration_s(),
                                          r.chains(1).started_at_s() + r.chains(1).duration_s(),
                                          r.chains(2).started_at_s() + r.chains(2).duration_s()});
  EXPECT_GE(r.chains(3).started_at_s(), first_wave_end);
}

struct BadRequest {
  const char* name;
  std::function<void(v1::SolveRequest*)> mutate;
  const char* field;
};

TEST_F(ServiceTest, InvalidRequestsNameTheField) {
  const std::vector<BadRequest> cases = {
      {"n = 0", [](auto* r) { r->mutable_sampling(0)->set_n(0); }, "sampling[0].n"},
      {"n over the maximum", [](auto* r) { r->mutable_sampling(0)->set_n(129); }, "sampling[0].n"},
      {"over the request's max_chains", [](auto* r) { r->mutable_limits()->set_max_chains(4); },
       "sampling[0].n"},
      {"no messages", [](auto* r) { r->clear_messages(); }, "messages"},
      {"no user message",
       [](auto* r) { r->mutable_messages(0)->set_role(v1::Message::ROLE_SYSTEM); }, "messages"},
      {"role unset",
       [](auto* r) { r->mutable_messages(0)->set_role(v1::Message::ROLE_UNSPECIFIED); },
       "messages[0].role"},
      {"unknown backend", [](auto* r) { r->mutable_sampling(0)->set_backend("gpt-9"); },
       "sampling[0].backend"},
      {"prompt over the byte limit",
       [](auto* r) { r->mutable_messages(0)->set_content(std::string(4097, 'x')); }, "messages"},
      {"no sampling groups", [](auto* r) { r->clear_sampling(); }, "sampling"},
      {"temperature", [](auto* r) { r->mutable_sampling(0)->set_temperature(3); },
       "sampling[0].temperature"},
      {"top_p", [](auto* r) { r->mutable_sampling(0)->set_top_p(0); }, "sampling[0].top_p"},
      {"max_tokens", [](auto* r) { r->mutable_sampling(0)->set_max_tokens(1 << 20); },
       "sampling[0].max_tokens"},
      {"thinking budget above max_tokens",
       [](auto* r) {
         r->mutable_sampling(0)->set_max_tokens(1000);
         r->mutable_sampling(0)->set_thinking_budget(2000);
       },
       "sampling[0].thinking_budget"},
      {"reference not a letter", [](auto* r) { r->set_reference_answer("Z"); }, "reference_answer"},
      {"bad regex",
       [](auto* r) { r->mutable_answer_format()->mutable_regex()->set_pattern("(unclosed"); },
       "answer_format.regex.pattern"},
      {"experiment label", [](auto* r) { r->set_experiment("has spaces"); }, "experiment"},
      {"negative cost cap", [](auto* r) { r->mutable_limits()->set_max_cost_usd(-1); },
       "limits.max_cost_usd"},
      {"zero wave size", [](auto* r) { r->mutable_launch()->mutable_waves(); },
       "launch.waves.size"},
      {"AC threshold",
       [](auto* r) { r->mutable_stop()->mutable_adaptive_consistency()->set_threshold(0.2); },
       "stop.adaptive_consistency.threshold"},
  };
  for (const BadRequest& c : cases) {
    SCOPED_TRACE(c.name);
    v1::SolveRequest req = Request("fast", 8);
    c.mutate(&req);
    v1::SolveResponse r;
    grpc::Status s = Solve(req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(std::string(c.field) + ":"));
  }
  EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
}

TEST_F(ServiceTest, ConfidenceStrategiesExplainThemselves) {
  v1::SolveRequest req = Request("fast", 16);
  req.mutable_aggregation()->mutable_weighted()->set_window_tokens(64);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.strategy(), "weighted");
  EXPECT_THAT(r.selection_rule(), HasSubstr("weighted by lowest_group confidence (window 64"));
  double chain_weight = 0;
  for (const auto& c : r.chains()) {
    ASSERT_TRUE(c.has_confidence()) << c.index();
    EXPECT_EQ(c.confidence().window_tokens(), 64u);
    EXPECT_GT(c.confidence().tokens(), 0u);
    EXPECT_LE(c.confidence().lowest_group(), c.confidence().bottom_10() + 1e-9);
    EXPECT_LE(c.confidence().lowest_group(), c.confidence().mean_token() + 1e-9);
    EXPECT_NEAR(c.mean_token_confidence(), c.confidence().mean_token(), 1e-9);
    if (c.parseable()) {
      EXPECT_DOUBLE_EQ(c.vote_weight(), c.confidence().lowest_group());
    } else {
      EXPECT_EQ(c.vote_weight(), 0);
    }
    chain_weight += c.vote_weight();
  }
  ASSERT_FALSE(r.candidates().empty());
  double candidate_weight = 0;
  for (const auto& c : r.candidates()) candidate_weight += c.weight();
  EXPECT_NEAR(candidate_weight, chain_weight, 1e-9);
  EXPECT_EQ(r.answer(), r.candidates(0).answer());
  EXPECT_DOUBLE_EQ(r.confidence(), r.candidates(0).score());
  EXPECT_NEAR(r.candidates(0).score(), r.candidates(0).weight() / candidate_weight, 1e-12);

  // Majority asks for no log-probabilities and gives every parseable chain one vote.
  v1::SolveResponse m;
  ASSERT_TRUE(Solve(Request("fast", 16), &m).ok());
  EXPECT_THAT(m.selection_rule(), HasSubstr("majority"));
  for (const auto& c : m.chains()) {
    EXPECT_FALSE(c.has_confidence());
    EXPECT_EQ(c.vote_weight(), c.parseable() ? 1.0 : 0.0);
  }
  EXPECT_DOUBLE_EQ(m.candidates(0).weight(), m.candidates(0).votes());
}

TEST_F(ServiceTest, FilteredKeepsTheMostConfidentChains) {
  v1::SolveRequest req = Request("fast", 16);
  req.mutable_aggregation()->mutable_filtered()->set_keep_percent(50);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.strategy(), "filtered");
  uint32_t voters = 0, kept = 0;
  double lowest_kept = 1e9, highest_dropped = 0;
  for (const auto& c : r.chains()) {
    if (!c.parseable()) continue;
    ++voters;
    // The default measure: lowest group, here the whole chain (shorter than 2048 tokens).
    const double v = c.confidence().lowest_group();
    if (c.vote_weight() > 0) {
      ++kept;
      lowest_kept = std::min(lowest_kept, v);
    } else {
      highest_dropped = std::max(highest_dropped, v);
    }
  }
  EXPECT_EQ(kept, (voters + 1) / 2);
  EXPECT_GE(lowest_kept, highest_dropped);
  EXPECT_THAT(r.selection_rule(), HasSubstr(absl::StrCat("kept the ", kept, " of ", voters)));
  uint32_t votes = 0;
  for (const auto& c : r.candidates()) votes += c.votes();
  EXPECT_EQ(votes, kept);
}

TEST_F(ServiceTest, ConfidenceAggregationFieldsAreValidated) {
  const std::vector<BadRequest> cases = {
      {"keep_percent above 100",
       [](auto* r) { r->mutable_aggregation()->mutable_filtered()->set_keep_percent(120); },
       "aggregation.filtered.keep_percent"},
      {"negative keep_percent",
       [](auto* r) { r->mutable_aggregation()->mutable_filtered()->set_keep_percent(-5); },
       "aggregation.filtered.keep_percent"},
      {"window too large",
       [](auto* r) { r->mutable_aggregation()->mutable_weighted()->set_window_tokens(1 << 20); },
       "aggregation.weighted.window_tokens"},
  };
  for (const BadRequest& c : cases) {
    SCOPED_TRACE(c.name);
    v1::SolveRequest req = Request("fast", 8);
    c.mutate(&req);
    v1::SolveResponse r;
    grpc::Status s = Solve(req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(std::string(c.field) + ":"));
  }
}

TEST_F(ServiceTest, AfterAnEarlyStopOnlyThePrefixVotesWithItsWeights) {
  // As in StopDecisionComesBeforeTheCancelledChainsAndTheFinalAnswer: Adaptive-Consistency stops
  // after the first 4 chains in plan order; the weighted vote counts exactly those.
  v1::SolveRequest req = Unanimous(Request("fast", 8));
  auto* slow = req.add_sampling();
  *slow = req.sampling(0);
  slow->set_backend("slow");
  slow->set_n(24);
  req.mutable_stop()->mutable_adaptive_consistency();
  req.mutable_launch()->mutable_all_at_once();
  req.mutable_aggregation()->mutable_weighted();
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  ASSERT_TRUE(r.stop().stopped_early());
  ASSERT_EQ(r.stop().after_chains(), 4u);
  for (const auto& c : r.chains()) {
    if (c.index() < 4) {
      EXPECT_GT(c.vote_weight(), 0) << c.index();
    } else {
      EXPECT_EQ(c.vote_weight(), 0) << c.index();
    }
  }
  ASSERT_EQ(r.candidates_size(), 1);
  EXPECT_EQ(r.candidates(0).votes(), 4u);
}

TEST_F(ServiceTest, OversizedMessageIsRefusedAndTheServerGoesOn) {
  v1::SolveRequest req = Request("fast", 1);
  req.mutable_messages(0)->set_content(std::string(3 << 20, 'x'));
  v1::SolveResponse r;
  EXPECT_EQ(Solve(req, &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Solve(Request("fast", 1), &r).ok());
}

TEST_F(ServiceTest, ConcurrentRequestsAllComplete) {
  constexpr int kRequests = 32;
  std::vector<grpc::ClientContext> contexts(kRequests);
  std::vector<v1::SolveResponse> responses(kRequests);
  std::vector<grpc::Status> statuses(kRequests);
  std::mutex mu;  // guards statuses and done
  std::condition_variable all_done;
  int done = 0;
  v1::SolveRequest req = Request("fast", 8);
  for (int i = 0; i < kRequests; ++i) {
    stub_->async()->Solve(&contexts[i], &req, &responses[i], [&, i](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      statuses[i] = s;
      if (++done == kRequests) all_done.notify_all();  // under the lock: `all_done` is local
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(60), [&] { return done == kRequests; }));
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(responses[i].answer(), responses[0].answer());  // same seed, same vote
  }
}

// A plain HTTP/1.0 GET of the exposer's /metrics page.
std::string Scrape(const std::string& address) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  const size_t colon = address.rfind(':');
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::connect(socket,
                       resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
  boost::asio::write(socket, boost::asio::buffer(std::string("GET /metrics HTTP/1.0\r\n\r\n")));
  std::string body;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::dynamic_buffer(body), ec);  // to EOF
  return body;
}

class MetricsServiceTest : public ServiceTest {
  std::string MetricsListen() const override { return "127.0.0.1:0"; }
};

TEST_F(MetricsServiceTest, MetricsAreServedOverHttp) {
  v1::SolveRequest req = Request("fast", 4);
  req.set_experiment("unit-test");
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  req.mutable_sampling(0)->set_n(0);
  ASSERT_FALSE(Solve(req, &r).ok());
  const std::string page = Scrape(server_->metrics_address());
  EXPECT_THAT(page, HasSubstr("ptc_requests_total{code=\"OK\",strategy=\"majority\"} 1"));
  EXPECT_THAT(page, HasSubstr("ptc_requests_total{code=\"INVALID_ARGUMENT\",strategy=\"none\"} 1"));
  EXPECT_THAT(page, HasSubstr("ptc_chains_total{backend=\"fast\",status=\"ok\"} 4"));
  EXPECT_THAT(page, HasSubstr("ptc_graded_answers_total{experiment=\"unit-test\",n=\"4\",result="));
  EXPECT_THAT(page, HasSubstr("ptc_tokens_total{backend=\"fast\",kind=\"completion\"}"));
  EXPECT_THAT(
      page,
      HasSubstr(
          "ptc_cost_usd_total{backend=\"fast\",model=\"sim-reasoner\",purpose=\"generate\"}"));
  EXPECT_THAT(page, HasSubstr("ptc_chains_in_flight 0"));
}

// A unary call with raw bytes on the wire, as any client could send them.
grpc::Status RawUnaryCall(const std::string& address, const std::string& method,
                          const std::string& request, std::string* response) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  auto call = stub.PrepareUnaryCall(&ctx, method, request_buffer, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  if (status.ok() && response_buffer.Dump(&slices).ok()) {
    for (const auto& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// HealthCheckRequest{} is empty on the wire; HealthCheckResponse{status: SERVING} is 08 01.
TEST_F(ServiceTest, ServesTheStandardHealthService) {
  std::string response;
  grpc::Status status =
      RawUnaryCall(server_->address(), "/grpc.health.v1.Health/Check", "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));
}

TEST_F(ServiceTest, MalformedBytesAreRefusedAndTheServerGoesOn) {
  std::string response;
  for (const std::string& garbage :
       {std::string("\xff\xff\xff\xff\xff"), std::string("\x0a\x80\x80\x80\x80\x10"),
        std::string(1000, '\x1a')}) {
    grpc::Status status =
        RawUnaryCall(server_->address(), "/ptc.v1.Orchestrator/Solve", garbage, &response);
    EXPECT_FALSE(status.ok());
  }
  v1::SolveResponse r;
  EXPECT_TRUE(Solve(Request("fast", 2), &r).ok());
}

// The verifier strategy. Its requests ask an unknown question, so the simulated chains answer
// uniformly at random and give several candidates.
v1::SolveRequest VerifierRequest(const std::string& generator, uint32_t n,
                                 const std::string& verifier) {
  v1::SolveRequest r;
  auto* m = r.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content("Pick one.\nA) red\nB) green\nC) blue\nD) yellow\nEnd with Answer: X.");
  auto* g = r.add_sampling();
  g->set_backend(generator);
  g->set_n(n);
  g->set_seed(42);
  r.mutable_aggregation()->mutable_verifier()->set_backend(verifier);
  return r;
}

std::string MetricsPage(Server& server) {
  return prometheus::TextSerializer().Serialize(server.metrics().registry()->Collect());
}

TEST_F(ServiceTest, VerifierGradesTheCandidatesAndExplainsItself) {
  v1::SolveRequest req = VerifierRequest("fast", 16, "sim");
  req.set_include_chain_text(true);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.strategy(), "verifier");
  EXPECT_EQ(r.chains_size(), 16);
  const v1::Verification& v = r.verification();
  EXPECT_EQ(v.backend(), "sim");
  EXPECT_EQ(v.model(), "sim-reasoner");
  EXPECT_EQ(v.calls_reserved(), 4u);
  EXPECT_TRUE(v.skipped().empty());
  EXPECT_TRUE(v.fallback().empty());
  ASSERT_GE(r.candidates_size(), 2);
  ASSERT_EQ(v.calls_size(), std::min(r.candidates_size(), 4));
  double verify_cost = 0;
  uint64_t verify_completion = 0;
  std::set<std::string> graded;
  for (const v1::VerifyCall& c : v.calls()) {
    SCOPED_TRACE(c.answer());
    EXPECT_EQ(c.status(), v1::CHAIN_STATUS_OK);
    ASSERT_TRUE(c.has_score());
    EXPECT_THAT(c.text(), HasSubstr("Score: "));
    EXPECT_GT(c.usage().prompt_tokens(), 0u);
    EXPECT_GT(c.cost_usd(), 0);
    // The evidence is the earliest chain that gave the candidate.
    for (const v1::ChainRecord& chain : r.chains()) {
      if (chain.answer() == c.answer()) {
        EXPECT_EQ(c.evidence_chain(), chain.index());
        break;
      }
    }
    verify_cost += c.cost_usd();
    verify_completion += c.usage().completion_tokens();
    graded.insert(c.answer());
  }
  // Ledger: verifier calls broken out, and included in the totals.
  EXPECT_EQ(r.ledger().verify_calls(), static_cast<uint32_t>(v.calls_size()));
  EXPECT_DOUBLE_EQ(r.ledger().verify_cost_usd(), verify_cost);
  EXPECT_EQ(r.ledger().verify_tokens().completion_tokens(), verify_completion);
  double chain_cost = 0;
  uint64_t chain_completion = 0;
  for (const auto& c : r.chains()) {
    chain_cost += c.cost_usd();
    chain_completion += c.usage().completion_tokens();
  }
  EXPECT_NEAR(r.ledger().cost_usd(), chain_cost + verify_cost, 1e-12);
  EXPECT_EQ(r.ledger().tokens().completion_tokens(), chain_completion + verify_completion);
  EXPECT_LE(r.ledger().cost_usd(), r.ledger().reserved_cost_usd());
  // Candidates: graded ones carry the verifier's score; the answer is the heaviest.
  EXPECT_EQ(r.answer(), r.candidates(0).answer());
  EXPECT_DOUBLE_EQ(r.confidence(), r.candidates(0).score());
  for (const v1::Candidate& c : r.candidates()) {
    EXPECT_EQ(c.has_verifier_score(), graded.count(c.answer()) > 0) << c.answer();
  }
  EXPECT_THAT(r.selection_rule(), HasSubstr("verifier: weight = vote share^1 x verifier score"));
  // Metrics: the calls, and their spend as purpose "verify".
  const std::string page = MetricsPage(*server_);
  EXPECT_THAT(page, HasSubstr(absl::StrCat("ptc_verify_calls_total{backend=\"sim\",status=\"ok\"} ",
                                           v.calls_size())));
  EXPECT_THAT(page, HasSubstr("ptc_cost_usd_total{backend=\"sim\",model=\"sim-reasoner\","
                              "purpose=\"verify\"}"));
  EXPECT_THAT(page, HasSubstr("ptc_verifier_fallbacks_total 0"));

  // The same seeds give the same grades.
  v1::SolveResponse again;
  ASSERT_TRUE(Solve(req, &again).ok());
  ASSERT_EQ(again.verification().calls_size(), v.calls_size());
  for (int i = 0; i < v.calls_size(); ++i) {
    EXPECT_EQ(again.verification().calls(i).score(), v.calls(i).score());
  }
  EXPECT_EQ(again.answer(), r.answer());
}

TEST_F(ServiceTest, VerifierDownFallsBackToMajorityAndSaysSo) {
  v1::SolveRequest req = VerifierRequest("fast", 16, "broken");
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  v1::SolveRequest majority = req;
  majority.mutable_aggregation()->mutable_majority();
  v1::SolveResponse m;
  ASSERT_TRUE(Solve(majority, &m).ok());
  EXPECT_EQ(r.answer(), m.answer());
  EXPECT_DOUBLE_EQ(r.confidence(), m.confidence());
  ASSERT_GE(r.verification().calls_size(), 2);
  for (const v1::VerifyCall& c : r.verification().calls()) {
    EXPECT_EQ(c.status(), v1::CHAIN_STATUS_FAILED);
    EXPECT_FALSE(c.has_score());
    EXPECT_THAT(c.error(), HasSubstr("simulated backend failure"));
  }
  EXPECT_THAT(r.verification().fallback(), HasSubstr("failed: no call gave a score"));
  EXPECT_THAT(r.selection_rule(), HasSubstr("verifier failed: no call gave a score"));
  EXPECT_THAT(r.selection_rule(), HasSubstr("; majority"));
  EXPECT_EQ(r.ledger().verify_calls(), static_cast<uint32_t>(r.verification().calls_size()));
  EXPECT_THAT(MetricsPage(*server_), HasSubstr("ptc_verifier_fallbacks_total 1"));
}

TEST_F(ServiceTest, VerifierIsSkippedForOneCandidate) {
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(VerifierRequest("fast", 1, "sim"), &r).ok());
  EXPECT_EQ(r.verification().skipped(), "one candidate");
  EXPECT_EQ(r.verification().calls_size(), 0);
  EXPECT_TRUE(r.verification().fallback().empty());
  EXPECT_EQ(r.answer(), r.chains(0).answer());
  EXPECT_EQ(r.ledger().verify_calls(), 0u);
}

TEST_F(ServiceTest, VerifierAfterEveryChainFailedIsSkipped) {
  v1::SolveResponse r;
  grpc::Status s = Solve(VerifierRequest("broken", 4, "sim"), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("quorum not met"));
}

TEST_F(ServiceTest, VerifierCallsAreReservedOnlyAsFarAsTheBudgetGoes) {
  // What the chains reserve alone (majority), and with four verifier calls.
  v1::SolveRequest req = VerifierRequest("fast", 8, "fast");
  req.mutable_sampling(0)->set_max_tokens(1000);
  v1::SolveRequest majority = req;
  majority.mutable_aggregation()->mutable_majority();
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(majority, &r).ok());
  const double chains = r.ledger().reserved_cost_usd();
  ASSERT_TRUE(Solve(req, &r).ok());
  ASSERT_EQ(r.verification().calls_reserved(), 4u);
  const double per_call = (r.ledger().reserved_cost_usd() - chains) / 4;
  ASSERT_GT(per_call, 0);

  // Room for one call: the top candidate by votes is graded, the others take its score.
  req.mutable_limits()->set_max_cost_usd(chains + 1.5 * per_call);
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.ledger().chains_launched(), 8u);
  EXPECT_EQ(r.verification().calls_reserved(), 1u);
  ASSERT_EQ(r.verification().calls_size(), 1);
  EXPECT_TRUE(r.verification().fallback().empty());
  EXPECT_THAT(r.selection_rule(), HasSubstr("the others took the mean score"));
  EXPECT_LE(r.ledger().cost_usd(), r.ledger().reserved_cost_usd());

  // No room: the chains run, verification is skipped and selection is majority, saying why.
  req.mutable_limits()->set_max_cost_usd(chains + 0.5 * per_call);
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.ledger().chains_launched(), 8u);
  EXPECT_EQ(r.verification().calls_reserved(), 0u);
  EXPECT_EQ(r.verification().calls_size(), 0);
  EXPECT_THAT(r.verification().skipped(), HasSubstr("no room for a verifier call"));
  EXPECT_THAT(r.verification().fallback(), HasSubstr("skipped: no room for a verifier call"));
  EXPECT_THAT(r.selection_rule(), HasSubstr("verifier skipped: no room"));
  EXPECT_EQ(r.ledger().verify_calls(), 0u);
}

TEST_F(ServiceTest, ExpiredDeadlineCancelsTheVerifierCalls) {
  // Chains finish in milliseconds; the verifier would take minutes.
  v1::SolveResponse r;
  grpc::Status s = Solve(VerifierRequest("fast", 8, "slow"), &r, /*deadline_ms=*/1500);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
}

TEST_F(ServiceTest, ClientCancelDuringVerificationFinishesTheRun) {
  grpc::ClientContext ctx;
  auto reader = stub_->SolveStream(&ctx, VerifierRequest("fast", 8, "slow"));
  v1::SolveEvent e;
  int finished = 0;
  // The last chain's finished and tally events are sent from the handler that starts the
  // verifier calls.
  while (finished < 8 && reader->Read(&e)) finished += e.has_chain_finished() ? 1 : 0;
  ASSERT_EQ(finished, 8);
  ASSERT_TRUE(reader->Read(&e));
  ASSERT_TRUE(e.has_tally());
  ctx.TryCancel();
  while (reader->Read(&e)) {
    EXPECT_FALSE(e.has_final());
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
  EXPECT_THAT(MetricsPage(*server_),
              HasSubstr("ptc_verify_calls_total{backend=\"slow\",status=\"cancelled\"}"));
}

TEST_F(ServiceTest, VerifierFieldsAreValidated) {
  const std::vector<BadRequest> cases = {
      {"unknown verifier backend",
       [](auto* r) { r->mutable_aggregation()->mutable_verifier()->set_backend("judge-9"); },
       "aggregation.verifier.backend"},
      {"verifier max_tokens",
       [](auto* r) { r->mutable_aggregation()->mutable_verifier()->set_max_tokens(1 << 20); },
       "aggregation.verifier.max_tokens"},
      {"verifier max_candidates",
       [](auto* r) { r->mutable_aggregation()->mutable_verifier()->set_max_candidates(33); },
       "aggregation.verifier.max_candidates"},
      {"verifier vote_exponent",
       [](auto* r) { r->mutable_aggregation()->mutable_verifier()->set_vote_exponent(9); },
       "aggregation.verifier.vote_exponent"},
  };
  for (const BadRequest& c : cases) {
    SCOPED_TRACE(c.name);
    v1::SolveRequest req = VerifierRequest("fast", 4, "");
    c.mutate(&req);
    v1::SolveResponse r;
    grpc::Status s = Solve(req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(std::string(c.field) + ":"));
  }
}

}  // namespace
}  // namespace ptc
