// The OpenAI backend (HttpBackend + OpenAiProtocol, built by its registered factory) over real
// loopback HTTP against ptc-simulator running in-process: many streamed chains, cancellation that
// reaches the server, and the same answers as the embedded simulated backend for the same seeds.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "common/mcq_dataset.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/openai.pb.h"
#include "ptc/v1/backends/sim.pb.h"
#include "samplers/backend_registry.h"
#include "samplers/sim/simulator/simulator_server.h"
#include "tests/common/test_notification.h"

namespace ptc::openai {
namespace {

class RecordingObserver : public ChainObserver {
 public:
  void OnDelta(const ChainDelta& d) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_FALSE(done_.HasBeenNotified());
    tokens += d.tokens;
    text.append(d.text.data(), d.text.size());
    reasoning.append(d.reasoning.data(), d.reasoning.size());
    logprobs += d.logprobs.size();
    ++deltas;
  }
  void OnDone(ChainResult r) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      EXPECT_FALSE(done_.HasBeenNotified());
      result = std::move(r);
    }
    done_.Notify();
  }
  // True once OnDone ran; the members below are then safe to read without the lock.
  bool WaitDone() { return done_.WaitForNotificationWithTimeout(absl::Seconds(60)); }
  int Deltas() {
    std::lock_guard<std::mutex> lock(mu_);
    return deltas;
  }

  uint64_t tokens = 0, logprobs = 0;
  int deltas = 0;
  std::string text, reasoning;
  ChainResult result;

 private:
  std::mutex mu_;  // guards the members above until done_
  TestNotification done_;
};

google::protobuf::Any Pack(const google::protobuf::Message& m) {
  google::protobuf::Any any;
  any.PackFrom(m);
  return any;
}

class OpenAiSimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_.emplace(io_.get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    backend_.reset();
    work_.reset();
    io_.stop();
    for (std::thread& t : threads_) t.join();
    if (server_) server_->Stop();
  }

  static v1::SimBackendConfig SimConfig(double tokens_per_second) {
    v1::SimBackendConfig c;
    c.set_seed(11);
    c.set_time_to_first_token_s(0.001);
    c.set_tokens_per_second(tokens_per_second);
    c.set_stream_chunk_tokens(8);
    return c;
  }

  void StartServer(const v1::SimBackendConfig& c) {
    auto s = sim::SimulatorServer::Start(c, "127.0.0.1:0", 2);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    auto questions = LoadMcqJsonl(server_->model().config().dataset());
    ASSERT_TRUE(questions.ok()) << questions.status();
    ASSERT_GT(questions->size(), 5u);
    questions_ = *std::move(questions);
  }

  std::unique_ptr<Backend> MakeOpenAi(uint32_t max_n_per_request) {
    v1::OpenAiBackendConfig c;
    c.set_default_model("sim-reasoner");
    c.mutable_http()->add_endpoints("http://" + server_->address() + "/v1");
    c.mutable_http()->mutable_retry()->set_max_attempts(1);
    c.set_max_n_per_request(max_n_per_request);
    BackendDeps deps{io_, "simulator"};
    auto b = CreateBackend(Pack(c), deps);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }

  ChainSpec Spec(size_t question, uint64_t seed, uint32_t top_logprobs) const {
    ChainSpec s;
    s.model = "sim-reasoner";
    s.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
        {ChatMessage::Role::kUser, FormatMcqPrompt(questions_[question], 7).text}});
    s.seed = seed;
    s.top_logprobs = top_logprobs;
    s.temperature = 0.8f;
    return s;
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<sim::SimulatorServer> server_;
  std::vector<McqQuestion> questions_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(OpenAiSimulatorTest, SixtyFourStreamedChainsComplete) {
  StartServer(SimConfig(1e6));
  backend_ = MakeOpenAi(1);
  ASSERT_NE(backend_, nullptr);
  constexpr int kChains = 64;
  std::vector<std::shared_ptr<RecordingObserver>> observers;
  std::vector<std::unique_ptr<ChainHandle>> handles;
  for (int i = 0; i < kChains; ++i) {
    observers.push_back(std::make_shared<RecordingObserver>());
    handles.push_back(backend_->Start(Spec(i % 4, 100 + i, i % 2 == 0 ? 5 : 0), observers.back()));
  }
  int with_confidence = 0;
  for (int i = 0; i < kChains; ++i) {
    RecordingObserver& o = *observers[i];
    ASSERT_TRUE(o.WaitDone()) << i;
    const ChainResult& r = o.result;
    ASSERT_EQ(r.status, ChainStatus::kOk) << i << " " << r.error;
    EXPECT_FALSE(r.text.empty());
    EXPECT_EQ(o.text, r.text) << i;  // what streamed is what the result holds
    EXPECT_TRUE(r.finish_reason == "stop" || r.finish_reason == "length") << r.finish_reason;
    EXPECT_GT(r.usage.prompt, 0u);
    EXPECT_GT(r.usage.completion, 0u);
    EXPECT_EQ(r.usage.reasoning, 0u);
    if (i % 2 == 0) {
      EXPECT_EQ(o.logprobs, r.usage.completion) << i;  // one logprob per reported token
      with_confidence += r.mean_token_confidence.has_value();
    } else {
      EXPECT_EQ(o.logprobs, 0u);
      EXPECT_FALSE(r.mean_token_confidence.has_value());
    }
  }
  EXPECT_EQ(with_confidence, kChains / 2);
}

TEST_F(OpenAiSimulatorTest, CancellingMidStreamClosesTheUpstreamConnections) {
  // 1 token per delta at 20 tokens/s: a chain of ~600 tokens would stream for ~30 s.
  v1::SimBackendConfig c = SimConfig(20);
  c.set_stream_chunk_tokens(1);
  c.set_mean_completion_tokens(4000);
  StartServer(c);
  backend_ = MakeOpenAi(1);
  ASSERT_NE(backend_, nullptr);
  constexpr int kChains = 16;
  std::vector<std::shared_ptr<RecordingObserver>> observers;
  std::vector<std::unique_ptr<ChainHandle>> handles;
  for (int i = 0; i < kChains; ++i) {
    observers.push_back(std::make_shared<RecordingObserver>());
    handles.push_back(backend_->Start(Spec(i % 4, 500 + i, 0), observers.back()));
  }
  // Every chain streaming.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (auto& o : observers) {
    while (o->Deltas() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GT(o->Deltas(), 0);
  }
  EXPECT_EQ(server_->connections(), static_cast<size_t>(kChains));
  for (auto& h : handles) h->Cancel();
  for (int i = 0; i < kChains; ++i) {
    ASSERT_TRUE(observers[i]->WaitDone());
    const ChainResult& r = observers[i]->result;
    EXPECT_EQ(r.status, ChainStatus::kCancelled);
    EXPECT_EQ(r.finish_reason, "cancelled");
    EXPECT_GT(r.usage.prompt, 0u);  // estimated: no usage had come
    EXPECT_GT(r.usage.completion, 0u);
    EXPECT_EQ(r.text, observers[i]->text);
  }
  // The simulator notices every disconnect and drops the session (its generation stops); all of
  // this long before the streams would have ended.
  while (server_->connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->connections(), 0u);
}

// The same seeds give the same chains through ptc-simulator as through the embedded backend:
// one request per chain, and native n (the request's seed is the first chain's, choice i takes
// seed + i as the plan numbers a group's chains).
TEST_F(OpenAiSimulatorTest, SameAnswersAsTheEmbeddedBackend) {
  const v1::SimBackendConfig config = SimConfig(1e6);
  StartServer(config);
  BackendDeps sim_deps{io_, "sim"};
  auto embedded = CreateBackend(Pack(config), sim_deps);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  for (uint32_t per_request : {1u, 4u}) {
    backend_ = MakeOpenAi(per_request);
    ASSERT_NE(backend_, nullptr);
    for (uint32_t top : {0u, 5u}) {
      constexpr int kChains = 8;
      std::vector<ChainSpec> specs;
      std::vector<std::shared_ptr<ChainObserver>> http_obs, sim_obs;
      for (int i = 0; i < kChains; ++i) {
        specs.push_back(Spec(2, 9000 + i, top));
        specs.back().index = i;
        http_obs.push_back(std::make_shared<RecordingObserver>());
        sim_obs.push_back(std::make_shared<RecordingObserver>());
      }
      auto h1 = backend_->StartMany(specs, http_obs);
      auto h2 = (*embedded)->StartMany(specs, sim_obs);
      std::set<std::string> distinct;
      for (int i = 0; i < kChains; ++i) {
        auto& a = static_cast<RecordingObserver&>(*http_obs[i]);
        auto& b = static_cast<RecordingObserver&>(*sim_obs[i]);
        ASSERT_TRUE(a.WaitDone());
        ASSERT_TRUE(b.WaitDone());
        ASSERT_EQ(a.result.status, ChainStatus::kOk) << a.result.error;
        ASSERT_EQ(b.result.status, ChainStatus::kOk) << b.result.error;
        EXPECT_EQ(a.result.text, b.result.text) << "chain " << i << " n/request " << per_request;
        EXPECT_EQ(a.result.finish_reason, b.result.finish_reason);
        if (per_request == 1) {
          EXPECT_EQ(a.result.usage.prompt, b.result.usage.prompt);
          EXPECT_EQ(a.result.usage.completion, b.result.usage.completion);
        }
        EXPECT_EQ(a.result.mean_token_confidence.has_value(),
                  b.result.mean_token_confidence.has_value());
        distinct.insert(a.result.text);
      }
      EXPECT_GT(distinct.size(), 1u);  // the seeds do make different chains
    }
  }
}

}  // namespace
}  // namespace ptc::openai
