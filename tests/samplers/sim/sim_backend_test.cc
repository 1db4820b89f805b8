// The embedded backend through the Backend interface: streaming deltas, exactly one OnDone,
// cancellation.
#include "samplers/sim/sim_backend.h"

#include <thread>

#include "boost/asio/executor_work_guard.hpp"
#include "gtest/gtest.h"
#include "tests/common/test_notification.h"

namespace ptc::sim {
namespace {

class RecordingObserver : public ChainObserver {
 public:
  void OnDelta(const ChainDelta& d) override {
    EXPECT_FALSE(done_.HasBeenNotified());
    tokens += d.tokens;
    text.append(d.text.data(), d.text.size());
    logprobs += d.logprobs.size();
    ++deltas;
  }
  void OnDone(ChainResult r) override {
    EXPECT_FALSE(done_.HasBeenNotified());
    result = std::move(r);
    done_.Notify();
  }
  bool WaitDone() { return done_.WaitForNotificationWithTimeout(absl::Seconds(30)); }

  uint64_t tokens = 0, logprobs = 0;
  int deltas = 0;
  std::string text;
  ChainResult result;

 private:
  TestNotification done_;
};

class SimBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    thread_.join();
  }
  std::unique_ptr<Backend> Make(double ttft) {
    v1::SimBackendConfig c;
    c.set_time_to_first_token_s(ttft);
    c.set_tokens_per_second(1e6);
    BackendDeps deps{io_, "sim"};
    auto b = CreateBackend(
        [&] {
          google::protobuf::Any any;
          any.PackFrom(c);
          return any;
        }(),
        deps);
    EXPECT_TRUE(b.ok()) << b.status();
    return *std::move(b);
  }
  ChainSpec Spec(uint32_t top_logprobs) {
    ChainSpec s;
    s.model = "sim-reasoner";
    s.messages = std::make_shared<const std::vector<ChatMessage>>(
        std::vector<ChatMessage>{{ChatMessage::Role::kUser, "Which letter? A) x\nB) y"}});
    s.max_tokens = 4096;
    s.seed = 3;
    s.top_logprobs = top_logprobs;
    return s;
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

TEST_F(SimBackendTest, RegisteredAndStreamsAWholeChain) {
  auto backend = Make(0.001);
  EXPECT_EQ(backend->default_model(), "sim-reasoner");
  EXPECT_TRUE(backend->capabilities().logprobs);
  auto obs = std::make_shared<RecordingObserver>();
  auto handle = backend->Start(Spec(5), obs);
  ASSERT_TRUE(obs->WaitDone());
  EXPECT_EQ(obs->result.status, ChainStatus::kOk);
  EXPECT_GT(obs->deltas, 1);
  EXPECT_EQ(obs->text, obs->result.text);
  EXPECT_EQ(obs->tokens, obs->result.usage.completion);
  EXPECT_GT(obs->result.usage.prompt, 0u);
  EXPECT_EQ(obs->logprobs + 3, obs->tokens);  // every body token, not the closing line
  EXPECT_TRUE(obs->result.mean_token_confidence.has_value());
  EXPECT_NE(obs->result.text.find("Answer: "), std::string::npos);
}

TEST_F(SimBackendTest, CancelEndsTheChainOnceWithPartialUsage) {
  auto backend = Make(500);  // would take minutes
  auto obs = std::make_shared<RecordingObserver>();
  auto handle = backend->Start(Spec(0), obs);
  handle->Cancel();
  handle->Cancel();  // idempotent
  ASSERT_TRUE(obs->WaitDone());
  EXPECT_EQ(obs->result.status, ChainStatus::kCancelled);
  EXPECT_EQ(obs->result.usage.completion, 0u);
  EXPECT_GT(obs->result.usage.prompt, 0u);
}

TEST_F(SimBackendTest, ThinkingGoesToReasoning) {
  auto backend = Make(0.001);
  auto obs = std::make_shared<RecordingObserver>();
  ChainSpec s = Spec(0);
  s.thinking_budget = 200;
  auto handle = backend->Start(s, obs);
  ASSERT_TRUE(obs->WaitDone());
  EXPECT_GT(obs->result.usage.reasoning, 0u);
  EXPECT_LE(obs->result.usage.reasoning, 200u);
  EXPECT_FALSE(obs->result.reasoning.empty());
  // The visible text: a short answer, then the answer line.
  EXPECT_GT(obs->result.usage.completion, 3u);
  EXPECT_NE(obs->result.text.find("\n\nAnswer: "), std::string::npos);
  EXPECT_EQ(obs->result.text.find("Answer: "), obs->result.text.size() - 9);
}

}  // namespace
}  // namespace ptc::sim
