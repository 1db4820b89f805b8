// Universal self-consistency and free-form answers through the service: the selector call after
// the chains (reserved under the request's budget, charged to the ledger, skipped or fallen back
// from with a reason), on the real in-process server with simulated backends; and free-text
// grouping and the selection over free-form responses through a Run on a scripted backend.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/config.h"
#include "service/run.h"
#include "service/server.h"
#include "tests/service/server_test_util.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_util::AddSim;

// --- The real server on simulated backends.

class UscServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig c;
    c.set_listen("127.0.0.1:0");
    c.set_metrics_listen("off");
    c.set_worker_threads(2);
    AddSim(&c, "fast", 0.001);
    AddSim(&c, "slow", 500);  // never finishes within a test
    AddSim(&c, "broken", 0.001, 1.0);
    ASSERT_NO_FATAL_FAILURE(testing_util::StartServer(c, &server_, &stub_));
  }

  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
      EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
      server_->Shutdown();
    }
  }

  grpc::Status Solve(const v1::SolveRequest& r, v1::SolveResponse* out, int deadline_ms = 60000) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    return stub_->Solve(&ctx, r, out);
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
};

// An unknown question: the simulated chains answer at random, so there are several candidates.
v1::SolveRequest UscRequest(const std::string& generator, uint32_t n, const std::string& selector) {
  v1::SolveRequest r;
  auto* m = r.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content("Pick one.\nA) red\nB) green\nC) blue\nD) yellow\nEnd with Answer: X.");
  auto* g = r.add_sampling();
  g->set_backend(generator);
  g->set_n(n);
  g->set_seed(42);
  r.mutable_aggregation()->mutable_usc()->set_backend(selector);
  return r;
}

TEST_F(UscServiceTest, SelectorPicksTheMajorityResponseAndEverythingIsAccountedFor) {
  v1::SolveRequest req = UscRequest("fast", 12, "fast");
  req.set_include_chain_text(true);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.strategy(), "usc");
  const v1::UscSelection& u = r.usc();
  EXPECT_EQ(u.backend(), "fast");
  EXPECT_EQ(u.model(), "sim-reasoner");
  EXPECT_TRUE(u.call_reserved());
  EXPECT_TRUE(u.skipped().empty());
  EXPECT_TRUE(u.fallback().empty()) << u.fallback();
  ASSERT_GE(r.candidates_size(), 2);
  // The responses: the chains with an answer, in plan order.
  std::vector<uint32_t> answering;
  for (const v1::ChainRecord& c : r.chains()) {
    if (c.parseable()) answering.push_back(c.index());
  }
  EXPECT_EQ(std::vector<uint32_t>(u.response_chains().begin(), u.response_chains().end()),
            answering);
  ASSERT_TRUE(u.has_selected_response());
  const v1::VerifyCall& call = u.call();
  EXPECT_EQ(call.status(), v1::CHAIN_STATUS_OK);
  EXPECT_THAT(call.text(), HasSubstr("Answer: Response "));
  EXPECT_EQ(call.evidence_chain(), u.response_chains(u.selected_response() - 1));
  EXPECT_EQ(call.answer(), r.answer());
  EXPECT_EQ(r.chains(call.evidence_chain()).answer(), r.answer());
  EXPECT_GT(call.usage().prompt_tokens(), 0u);
  EXPECT_GT(call.cost_usd(), 0);
  // The simulated selector (error rate 0) picks the majority's first response.
  v1::SolveRequest majority = req;
  majority.mutable_aggregation()->mutable_majority();
  v1::SolveResponse m;
  ASSERT_TRUE(Solve(majority, &m).ok());
  EXPECT_EQ(r.answer(), m.answer());
  EXPECT_DOUBLE_EQ(r.confidence(), m.confidence());
  EXPECT_EQ(r.candidates(0).answer(), r.answer());
  EXPECT_THAT(r.selection_rule(),
              StartsWith("usc: the selector (fast/sim-reasoner) chose Response"));
  EXPECT_THAT(r.selection_rule(), HasSubstr("majority vote agrees"));
  // Ledger: the call is a "verify" call, included in the totals and within the reservation.
  EXPECT_EQ(r.ledger().verify_calls(), 1u);
  EXPECT_DOUBLE_EQ(r.ledger().verify_cost_usd(), call.cost_usd());
  double chain_cost = 0;
  for (const auto& c : r.chains()) chain_cost += c.cost_usd();
  EXPECT_NEAR(r.ledger().cost_usd(), chain_cost + call.cost_usd(), 1e-12);
  EXPECT_GT(r.ledger().reserved_cost_usd(), m.ledger().reserved_cost_usd());
  EXPECT_LE(r.ledger().cost_usd(), r.ledger().reserved_cost_usd());
  // Deterministic under the seeds.
  v1::SolveResponse again;
  ASSERT_TRUE(Solve(req, &again).ok());
  EXPECT_EQ(again.usc().selected_response(), u.selected_response());
  EXPECT_EQ(again.answer(), r.answer());
}

TEST_F(UscServiceTest, MaxResponsesBoundsThePrompt) {
  v1::SolveRequest req = UscRequest("fast", 12, "fast");
  req.mutable_aggregation()->mutable_usc()->set_max_responses(3);
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_LE(r.usc().response_chains_size(), 3);
  ASSERT_TRUE(r.usc().has_selected_response());
  EXPECT_LE(r.usc().selected_response(), 3u);
}

TEST_F(UscServiceTest, SelectorDownFallsBackToMajorityAndSaysSo) {
  v1::SolveRequest req = UscRequest("fast", 12, "broken");
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(req, &r).ok());
  v1::SolveRequest majority = req;
  majority.mutable_aggregation()->mutable_majority();
  v1::SolveResponse m;
  ASSERT_TRUE(Solve(majority, &m).ok());
  EXPECT_EQ(r.answer(), m.answer());
  EXPECT_EQ(r.usc().call().status(), v1::CHAIN_STATUS_FAILED);
  EXPECT_FALSE(r.usc().has_selected_response());
  EXPECT_THAT(r.usc().call().error(), HasSubstr("simulated backend failure"));
  EXPECT_THAT(r.usc().fallback(), StartsWith("failed: "));
  EXPECT_THAT(r.selection_rule(), StartsWith("usc failed: "));
  EXPECT_THAT(r.selection_rule(), HasSubstr("; majority"));
  EXPECT_EQ(r.ledger().verify_calls(), 1u);
}

TEST_F(UscServiceTest, TooSmallABudgetSkipsTheCallWithAReason) {
  v1::SolveRequest req = UscRequest("fast", 8, "fast");
  req.mutable_sampling(0)->set_max_tokens(1000);
  v1::SolveRequest majority = req;
  majority.mutable_aggregation()->mutable_majority();
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(majority, &r).ok());
  const double chains = r.ledger().reserved_cost_usd();
  const std::string majority_answer = r.answer();
  ASSERT_TRUE(Solve(req, &r).ok());
  const double call = r.ledger().reserved_cost_usd() - chains;
  ASSERT_GT(call, 0);

  req.mutable_limits()->set_max_cost_usd(chains + 0.5 * call);
  ASSERT_TRUE(Solve(req, &r).ok());
  EXPECT_EQ(r.ledger().chains_launched(), 8u);  // the chains come first
  EXPECT_FALSE(r.usc().call_reserved());
  EXPECT_FALSE(r.usc().has_call());
  EXPECT_THAT(r.usc().skipped(), StartsWith("no room for the selector call"));
  EXPECT_THAT(r.usc().fallback(), StartsWith("skipped: no room for the selector call"));
  EXPECT_THAT(r.selection_rule(), StartsWith("usc skipped: no room for the selector call"));
  EXPECT_EQ(r.answer(), majority_answer);
  EXPECT_EQ(r.ledger().verify_calls(), 0u);
  EXPECT_LE(r.ledger().cost_usd(), r.ledger().reserved_cost_usd());
}

TEST_F(UscServiceTest, OneChainNeedsNoSelector) {
  v1::SolveResponse r;
  ASSERT_TRUE(Solve(UscRequest("fast", 1, "fast"), &r).ok());
  EXPECT_EQ(r.usc().skipped(), "one candidate");
  EXPECT_TRUE(r.usc().fallback().empty());
  EXPECT_EQ(r.selection_rule(), "usc: one candidate, nothing to select");
  EXPECT_EQ(r.answer(), r.chains(0).answer());
  EXPECT_EQ(r.ledger().verify_calls(), 0u);
}

TEST_F(UscServiceTest, EveryChainFailedIsUnavailable) {
  v1::SolveResponse r;
  grpc::Status s = Solve(UscRequest("broken", 4, "fast"), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("quorum not met"));
}

TEST_F(UscServiceTest, ExpiredDeadlineCancelsTheSelectorCall) {
  v1::SolveResponse r;
  grpc::Status s = Solve(UscRequest("fast", 6, "slow"), &r, /*deadline_ms=*/1500);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(server_->service().WaitForIdle(absl::Seconds(30)));
}

TEST_F(UscServiceTest, FieldsAreValidatedNamingTheField) {
  struct Bad {
    std::function<void(v1::UniversalSelfConsistency*)> mutate;
    const char* field;
  };
  const std::vector<Bad> cases = {
      {[](auto* u) { u->set_backend("judge-9"); }, "aggregation.usc.backend"},
      {[](auto* u) { u->set_max_tokens(1 << 24); }, "aggregation.usc.max_tokens"},
      {[](auto* u) { u->set_max_responses(65); }, "aggregation.usc.max_responses"},
      {[](auto* u) { u->set_response_bytes(1 << 20); }, "aggregation.usc.response_bytes"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.field);
    v1::SolveRequest req = UscRequest("fast", 4, "");
    c.mutate(req.mutable_aggregation()->mutable_usc());
    v1::SolveResponse r;
    grpc::Status s = Solve(req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
  v1::SolveRequest req = UscRequest("fast", 4, "");
  req.mutable_answer_format()->mutable_free_text()->set_min_overlap(2);
  v1::SolveResponse r;
  grpc::Status s = Solve(req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("answer_format.free_text.min_overlap"));
}

// --- Free-form answers through a Run on a scripted backend.

// Answers each chain with a text picked by its plan index, after a delay; a selector prompt
// with `selector_reply` (or a failure when it is empty).
class ScriptedBackend : public Backend {
 public:
  ScriptedBackend(boost::asio::io_context& io, std::vector<std::string> texts,
                  std::function<int(uint32_t)> delay_ms, std::string selector_reply)
      : io_(io),
        texts_(std::move(texts)),
        delay_ms_(std::move(delay_ms)),
        selector_reply_(std::move(selector_reply)) {}

  const BackendCapabilities& capabilities() const override { return caps_; }
  std::string_view default_model() const override { return "scripted"; }

  std::unique_ptr<ChainHandle> Start(const ChainSpec& spec,
                                     std::shared_ptr<ChainObserver> observer) override {
    ChainResult r;
    r.finish_reason = "stop";
    r.usage.prompt = 20;
    r.usage.completion = 10;
    int delay = 1;
    const std::string& prompt = spec.messages->back().content;
    if (prompt.find("=== Response 1 ===") != std::string::npos) {
      last_selector_prompt = prompt;
      if (selector_reply_.empty()) {
        r.status = ChainStatus::kFailed;
        r.error = absl::UnavailableError("selector down");
      } else {
        r.text = selector_reply_;
      }
    } else {
      r.text = texts_[spec.index % texts_.size()];
      delay = delay_ms_(spec.index);
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(delay));
    timer->async_wait([timer, observer, r = std::move(r)](const boost::system::error_code&) {
      observer->OnDone(r);
    });
    return std::make_unique<NoCancel>();
  }

  std::string last_selector_prompt;  // read after the Run is done

 private:
  struct NoCancel : ChainHandle {
    void Cancel() override {}
  };
  boost::asio::io_context& io_;
  const std::vector<std::string> texts_;
  const std::function<int(uint32_t)> delay_ms_;
  const std::string selector_reply_;
  BackendCapabilities caps_;
};

class FreeFormRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    limits_ = WithDefaults(v1::ServerLimits());
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    thread_.join();
  }

  // Runs `req` on a scripted backend; `drain` drains the Run right after it starts.
  v1::SolveResponse RunOn(const v1::SolveRequest& req, std::function<int(uint32_t)> delay_ms,
                          std::string selector_reply = "Answer: Response 1",
                          absl::Status* status = nullptr, bool drain = false) {
    std::map<std::string, std::unique_ptr<Backend>> b;
    auto backend =
        std::make_unique<ScriptedBackend>(io_, kTexts, std::move(delay_ms), selector_reply);
    backend_ = backend.get();
    b["scripted"] = std::move(backend);
    // Kept to the end of the test: a Run holds its context by reference.
    backends_.push_back(std::make_unique<BackendSet>(std::move(b), "scripted"));
    contexts_.push_back(std::make_unique<RunContext>(
        RunContext{io_, *backends_.back(), prices_, limits_, metrics_}));
    RunContext& ctx = *contexts_.back();
    auto run = Run::Create(req, ctx);
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return {};
    absl::Notification done;
    v1::SolveResponse out;
    absl::Status got;
    (*run)->Start(nullptr, [&](absl::Status s, v1::SolveResponse r) {
      got = std::move(s);
      out = std::move(r);
      done.Notify();
    });
    if (drain) (*run)->Drain("server shutting down");
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    if (status != nullptr) *status = got;
    return out;
  }

  static v1::SolveRequest Request(uint32_t n) {
    v1::SolveRequest r;
    auto* m = r.add_messages();
    m->set_role(v1::Message::ROLE_USER);
    m->set_content("Which Paris landmark is 330 m tall?");
    r.mutable_answer_format()->mutable_free_text();
    auto* g = r.add_sampling();
    g->set_n(n);
    g->set_seed(7);
    return r;
  }

  // Chain i answers kTexts[i % 8]: "eiffel tower" 4 ways (chains 1, 2, 4, 6), "louvre" twice
  // (chains 0, 3), one unparseable (5), one other (7).
  const std::vector<std::string> kTexts = {
      "Thinking.\nAnswer: The Louvre",  "It is tall.\nAnswer: The Eiffel Tower.",
      "Answer: **eiffel tower**",       "Answer: louvre!",
      "Answer: EIFFEL TOWER, Paris",    "\n\n",
      "Final answer: the eiffel tower", "Answer: Notre-Dame",
  };

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  v1::ServerLimits limits_;
  PriceTable prices_;
  Metrics metrics_;
  std::vector<std::unique_ptr<BackendSet>> backends_;
  std::vector<std::unique_ptr<RunContext>> contexts_;
  ScriptedBackend* backend_ = nullptr;
};

TEST_F(FreeFormRunTest, MajorityGroupsParaphrasesWhateverOrderChainsFinishIn) {
  const v1::SolveRequest req = Request(8);
  const v1::SolveResponse forward = RunOn(req, [](uint32_t i) { return 2 + 3 * i; });
  const v1::SolveResponse backward = RunOn(req, [](uint32_t i) { return 2 + 3 * (8 - i); });
  for (const v1::SolveResponse* r : {&forward, &backward}) {
    EXPECT_EQ(r->strategy(), "majority");
    EXPECT_EQ(r->answer(), "eiffel tower");  // chain 1's wording names the group
    ASSERT_EQ(r->candidates_size(), 3);
    EXPECT_EQ(r->candidates(0).votes(), 4u);
    EXPECT_EQ(r->candidates(1).answer(), "louvre");
    EXPECT_EQ(r->candidates(1).votes(), 2u);
    EXPECT_EQ(r->candidates(2).answer(), "notre dame");
    EXPECT_DOUBLE_EQ(r->confidence(), 4.0 / 7);
    EXPECT_EQ(r->unparseable_chains(), 1u);
    // Each record holds its group's answer.
    EXPECT_EQ(r->chains(4).answer(), "eiffel tower");
    EXPECT_EQ(r->chains(3).answer(), "louvre");
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(forward.candidates(i).answer(), backward.candidates(i).answer());
  }
}

TEST_F(FreeFormRunTest, WeightedVoteAndReferenceWorkOnGroups) {
  v1::SolveRequest req = Request(8);
  req.mutable_aggregation()->mutable_weighted();
  req.set_reference_answer("Eiffel Tower");
  const v1::SolveResponse r = RunOn(req, [](uint32_t i) { return 1 + (i * 7) % 5; });
  EXPECT_EQ(r.answer(), "eiffel tower");
  EXPECT_EQ(r.candidates(0).votes(), 4u);
  EXPECT_THAT(r.selection_rule(), HasSubstr("plain vote"));  // no log-probabilities
  ASSERT_TRUE(r.has_correct());
  EXPECT_TRUE(r.correct());
}

TEST_F(FreeFormRunTest, UscChoosesAmongFreeFormResponses) {
  v1::SolveRequest req = Request(8);
  req.mutable_aggregation()->mutable_usc();
  // Responses are the 7 chains with an answer: 0, 1, 2, 3, 4, 6, 7; Response 4 is chain 3.
  const v1::SolveResponse r = RunOn(
      req, [](uint32_t i) { return 1 + i; }, "They mostly agree.\nAnswer: Response 4");
  EXPECT_EQ(r.answer(), "louvre");
  EXPECT_EQ(r.candidates(0).answer(), "louvre");
  EXPECT_EQ(r.usc().selected_response(), 4u);
  EXPECT_EQ(r.usc().call().evidence_chain(), 3u);
  EXPECT_EQ(r.usc().response_chains_size(), 7);
  EXPECT_THAT(r.selection_rule(), HasSubstr("majority vote would have chosen eiffel tower"));
  EXPECT_THAT(backend_->last_selector_prompt, HasSubstr("=== Response 7 ===\nAnswer: Notre-Dame"));
  EXPECT_THAT(backend_->last_selector_prompt, HasSubstr("Which Paris landmark is 330 m tall?"));
  EXPECT_EQ(r.ledger().verify_calls(), 1u);
}

TEST_F(FreeFormRunTest, UnreadableOrFailedSelectorFallsBackToMajority) {
  v1::SolveRequest req = Request(8);
  req.mutable_aggregation()->mutable_usc();
  v1::SolveResponse r = RunOn(
      req, [](uint32_t i) { return 1 + i; }, "I like them all.");
  EXPECT_EQ(r.answer(), "eiffel tower");
  EXPECT_THAT(r.usc().fallback(), HasSubstr("no \"Answer: Response k\" in the reply"));
  EXPECT_THAT(r.selection_rule(), StartsWith("usc failed: no \"Answer: Response k\""));
  r = RunOn(
      req, [](uint32_t i) { return 1 + i; }, "");
  EXPECT_EQ(r.answer(), "eiffel tower");
  EXPECT_THAT(r.usc().fallback(), HasSubstr("selector down"));
}

TEST_F(FreeFormRunTest, ADrainSkipsTheSelectorSayingWhy) {
  v1::SolveRequest req = Request(8);
  req.mutable_aggregation()->mutable_usc();
  absl::Status status;
  const v1::SolveResponse r = RunOn(
      req, [](uint32_t i) { return 20 + i; }, "Answer: Response 4", &status, true);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(r.partial_reason(), "server shutting down");
  EXPECT_EQ(r.usc().skipped(), "server shutting down");
  EXPECT_THAT(r.selection_rule(), StartsWith("usc skipped: server shutting down; majority"));
  EXPECT_EQ(r.ledger().verify_calls(), 0u);
}

}  // namespace
}  // namespace ptc
