// Runs driven directly (no gRPC), many at once on an io_context with several threads, on the
// simulated backends: each ends exactly once, whether it finishes, stops early, is cancelled or
// drained from another thread while its chains are in flight, and its ledger adds up. Run by the
// plain suite and under ThreadSanitizer (scripts/test-tsan.sh), which sees every hand-off here:
// the Run's strand, the backends' strands and the test's std primitives.
#include "service/run.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "common/mcq_dataset.h"
#include "gtest/gtest.h"
#include "service/backend_set.h"
#include "service/config.h"
#include "service/metrics.h"
#include "service/pricing.h"
#include "tests/common/test_notification.h"
#include "tests/service/server_test_util.h"

namespace ptc {
namespace {

constexpr int kIoThreads = 4;

class RunConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig c;
    testing_util::AddSim(&c, "fast", 0.0005);
    testing_util::AddSim(&c, "slow", 500);  // chains that do not finish within a test
    testing_util::AddSim(&c, "flaky", 0.0005, 0.3);
    c.mutable_limits()->set_max_chains_per_request(128);
    config_ = WithDefaults(c);
    ASSERT_TRUE(ValidateServerConfig(config_).ok());
    auto backends = BackendSet::Create(config_, io_, &metrics_);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
    prices_.emplace(config_.pricing());
    ctx_.emplace(RunContext{io_, *backends_, *prices_, config_.limits(), metrics_});
    work_.emplace(io_.get_executor());
    for (int i = 0; i < kIoThreads; ++i) threads_.emplace_back([this] { io_.run(); });
    auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
    ASSERT_TRUE(questions.ok()) << questions.status();
    questions_ = *std::move(questions);
  }
  void TearDown() override {
    work_.reset();
    for (std::thread& t : threads_) t.join();
  }

  v1::SolveRequest Request(const std::string& backend, uint32_t n, size_t question) {
    return testing_util::McqRequest(questions_[question % questions_.size()], question, backend, n,
                                    question);
  }

  // One Run and what it ended with; `calls` counts its done callbacks (exactly one expected).
  struct Outcome {
    std::shared_ptr<ptc::Run> run;
    TestNotification done;
    std::atomic<int> calls{0};
    std::atomic<uint32_t> chains_started{0};  // chain_started events
    absl::Status status;
    v1::SolveResponse response;
  };

  std::unique_ptr<Outcome> Start(const v1::SolveRequest& req) {
    auto out = std::make_unique<Outcome>();
    auto run = ptc::Run::Create(req, *ctx_);
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return nullptr;
    out->run = *run;
    Outcome* o = out.get();
    o->run->Start([o](v1::SolveEvent e) { o->chains_started += e.has_chain_started() ? 1 : 0; },
                  [o](absl::Status s, v1::SolveResponse r) {
                    o->status = std::move(s);
                    o->response = std::move(r);
                    ++o->calls;
                    o->done.Notify();
                  });
    return out;
  }

  // Waits for every Run and checks what holds for any of them: one done call, a chain_started
  // event per launched chain, and a ledger whose chain counts and tokens add up over the chains
  // it reports.
  static void ExpectEndedOnceAndAccounted(std::vector<std::unique_ptr<Outcome>>& runs) {
    for (size_t i = 0; i < runs.size(); ++i) {
      Outcome& o = *runs[i];
      ASSERT_TRUE(o.done.WaitForNotificationWithTimeout(absl::Seconds(60))) << i;
    }
    // A late second call would show here.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (size_t i = 0; i < runs.size(); ++i) {
      const Outcome& o = *runs[i];
      EXPECT_EQ(o.calls.load(), 1) << i;
      const v1::Ledger& l = o.response.ledger();
      EXPECT_EQ(l.chains_succeeded() + l.chains_failed() + l.chains_cancelled(),
                l.chains_launched())
          << i;
      EXPECT_EQ(l.chains_launched() + l.chains_not_launched(), l.chains_planned()) << i;
      EXPECT_EQ(o.chains_started.load(), l.chains_launched()) << i;
      uint64_t completion = 0;
      for (const v1::ChainRecord& c : o.response.chains())
        completion += c.usage().completion_tokens();
      EXPECT_EQ(completion, l.tokens().completion_tokens()) << i;
      EXPECT_LE(l.cost_usd(), l.reserved_cost_usd() + 1e-12) << i;
    }
  }

  v1::ServerConfig config_;
  boost::asio::io_context io_;
  Metrics metrics_;
  std::unique_ptr<BackendSet> backends_;
  std::optional<PriceTable> prices_;
  std::optional<RunContext> ctx_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::vector<McqQuestion> questions_;
};

TEST_F(RunConcurrencyTest, ManyRunsAtOnceEachEndOnceWithTheirChainsAccounted) {
  std::vector<std::unique_ptr<Outcome>> runs;
  for (size_t i = 0; i < 48; ++i) {
    v1::SolveRequest req = Request(i % 3 == 2 ? "flaky" : "fast", 16, i);
    if (i % 2 == 1) req.mutable_stop()->mutable_adaptive_consistency();
    runs.push_back(Start(req));
    ASSERT_NE(runs.back(), nullptr);
  }
  ASSERT_NO_FATAL_FAILURE(ExpectEndedOnceAndAccounted(runs));
  int stopped_early = 0, failed_chains = 0;
  for (const auto& o : runs) {
    EXPECT_TRUE(o->status.ok()) << o->status;
    stopped_early += o->response.stop().stopped_early() ? 1 : 0;
    failed_chains += static_cast<int>(o->response.ledger().chains_failed());
  }
  // The stop rule and the flaky backend were exercised, not just configured.
  EXPECT_GT(stopped_early, 0);
  EXPECT_GT(failed_chains, 0);
}

TEST_F(RunConcurrencyTest, CancelAndDrainFromOtherThreadsWhileChainsAreInFlight) {
  std::vector<std::unique_ptr<Outcome>> runs;
  for (size_t i = 0; i < 32; ++i) {
    runs.push_back(Start(Request("slow", 8, i)));
    ASSERT_NE(runs.back(), nullptr);
  }
  // Half cancelled, half drained, from two threads at once, each Run also twice (idempotent).
  std::thread canceller([&] {
    for (size_t i = 0; i < runs.size(); i += 2) {
      runs[i]->run->Cancel();
      runs[i]->run->Cancel();
    }
  });
  std::thread drainer([&] {
    for (size_t i = 1; i < runs.size(); i += 2) {
      runs[i]->run->Drain("server shutting down");
      runs[i]->run->Drain("again");
    }
  });
  canceller.join();
  drainer.join();
  ASSERT_NO_FATAL_FAILURE(ExpectEndedOnceAndAccounted(runs));
  for (size_t i = 0; i < runs.size(); ++i) {
    const Outcome& o = *runs[i];
    // Nothing finished on the slow backend: a cancel ends CANCELLED, a drain without its quorum
    // UNAVAILABLE, and every launched chain is cancelled either way.
    EXPECT_EQ(o.status.code(),
              i % 2 == 0 ? absl::StatusCode::kCancelled : absl::StatusCode::kUnavailable)
        << i << ": " << o.status;
    EXPECT_EQ(o.response.ledger().chains_succeeded(), 0u) << i;
    EXPECT_EQ(o.response.ledger().chains_cancelled(), o.response.ledger().chains_launched()) << i;
  }
}

}  // namespace
}  // namespace ptc
