// AnthropicProtocol through http::HttpBackend against the scripted loopback server, replaying
// the documented event sequences: separation of thinking and text, usage, retries of overloads
// and rate limits, and cancellation mid-stream.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "samplers/anthropic/anthropic_protocol.h"
#include "samplers/http/http_backend.h"
#include "tests/common/unshared_status.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/samplers/anthropic/anthropic_events.h"
#include "tests/samplers/http/io_thread.h"

namespace ptc::anthropic {
namespace {

using fakes::FakeChunk;
using fakes::FakeHttpServer;
using fakes::FakeResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
namespace ev = testing_events;

constexpr char kKey[] = "sk-ant-e2e-SECRET";

class Observer : public ChainObserver {
 public:
  void OnDelta(const ChainDelta& delta) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += delta.text;
    reasoning_ += delta.reasoning;
    ++deltas_;
    cv_.notify_all();
  }
  void OnDone(ChainResult result) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    result_ = std::move(result);
    cv_.notify_all();
  }
  // Bounded waits so that a hang fails the test instead of blocking the suite; not timing checks.
  ChainResult Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, 30s, [&] { return result_.has_value(); })) {
      ADD_FAILURE() << "the chain did not finish";
      return {};
    }
    ChainResult result = *result_;
    result.error = Unshared(result_->error);  // tests/common/unshared_status.h
    return result;
  }
  bool WaitForDeltas(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return deltas_ >= n; });
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  std::string reasoning() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reasoning_;
  }
  int done() const {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string text_, reasoning_;
  int deltas_ = 0;
  int done_ = 0;
  std::optional<ChainResult> result_;
};

// Splits an SSE byte stream into chunks of `n` bytes, cutting events anywhere.
std::vector<std::string> Cut(const std::string& sse, size_t n) { return ev::Chunks(sse, n); }

std::string ErrorJson(const std::string& type, const std::string& message) {
  return nlohmann::json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}
      .dump();
}

class AnthropicBackendTest : public ::testing::Test {
 protected:
  ~AnthropicBackendTest() override {
    io_.Stop();
    backend_.reset();
  }

  http::HttpBackend& Backend(uint32_t max_attempts = 4) {
    AnthropicOptions options;
    options.api_key = kKey;
    options.default_model = "claude-sonnet-4-5";
    options.capabilities = DefaultCapabilities(ThinkingMode::kBudgetTokens);
    http::ClientOptions client_options;
    client_options.endpoints = {server_.url()};
    auto client = http::Client::Create(client_options, io_.io());
    EXPECT_TRUE(client.ok()) << client.status();
    http::HttpBackendOptions backend_options;
    backend_options.name = "claude";
    backend_options.retry.max_attempts = max_attempts;
    backend_options.retry.initial_backoff = 1ms;
    backend_options.retry.max_backoff = 5ms;
    backend_options.retry.jitter_seed = 11;
    backend_ = std::make_unique<http::HttpBackend>(
        std::make_shared<const AnthropicProtocol>(options), *client, backend_options, io_.io());
    return *backend_;
  }

  static ChainSpec Spec() {
    ChainSpec spec;
    spec.model = "claude-sonnet-4-5";
    spec.max_tokens = 8192;
    spec.thinking_budget = 2048;
    spec.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
        {ChatMessage::Role::kSystem, "Answer with a letter."},
        {ChatMessage::Role::kUser, "What is 2+2? (A) 1 (B) 3 (C) 4 (D) 5"}});
    return spec;
  }

  ChainResult RunOne(std::shared_ptr<Observer> observer = std::make_shared<Observer>()) {
    auto handle = backend_->Start(Spec(), observer);
    ChainResult r = observer->Wait();
    EXPECT_EQ(observer->done(), 1);
    return r;
  }

  FakeHttpServer server_;
  http::IoThread io_;
  std::unique_ptr<http::HttpBackend> backend_;
};

void ExpectFullResult(const ChainResult& r) {
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(r.text, ev::kText);
  EXPECT_EQ(r.reasoning, ev::kThinking);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt, ev::kInputTokens + ev::kCacheReadTokens + ev::kCacheCreationTokens);
  EXPECT_EQ(r.usage.cached_prompt, ev::kCacheReadTokens);
  EXPECT_EQ(r.usage.output(), ev::kOutputTokens);
  EXPECT_GT(r.usage.reasoning, r.usage.completion);  // far more thinking than answer was streamed
}

TEST_F(AnthropicBackendTest, ThinkingAndTextStreamEndToEnd) {
  Backend();
  server_.Enqueue(FakeResponse::Sse(Cut(ev::ToSse(ev::ThinkingThenText()), 37)));
  auto observer = std::make_shared<Observer>();
  ChainResult r = RunOne(observer);
  ExpectFullResult(r);
  EXPECT_EQ(observer->text(), ev::kText);
  EXPECT_EQ(observer->reasoning(), ev::kThinking);
  EXPECT_THAT(r.text + r.reasoning, Not(HasSubstr(ev::kSignature)));

  ASSERT_EQ(server_.request_count(), 1u);
  const fakes::RecordedRequest req = server_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/messages");
  EXPECT_EQ(req.Header("x-api-key"), kKey);
  EXPECT_EQ(req.Header("anthropic-version"), "2023-06-01");
  const nlohmann::json body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["system"], "Answer with a letter.");
  EXPECT_EQ(body["thinking"]["budget_tokens"], 2048);
  EXPECT_EQ(body["stream"], true);
}

TEST_F(AnthropicBackendTest, OverloadedEventBeforeOutputIsRetried) {
  Backend();
  std::vector<http::SseEvent> overloaded = {ev::MessageStart(ev::kInputTokens, 0, 0), ev::Ping(),
                                            ev::ErrorEvent("overloaded_error", "Overloaded")};
  server_.Enqueue(FakeResponse::Sse({ev::ToSse(overloaded)}));
  server_.Enqueue(FakeResponse::Sse({ev::ToSse(ev::ThinkingThenText())}));
  auto observer = std::make_shared<Observer>();
  ChainResult r = RunOne(observer);
  ExpectFullResult(r);
  EXPECT_EQ(server_.request_count(), 2u);
  EXPECT_EQ(observer->text(), ev::kText);  // nothing seen twice
}

TEST_F(AnthropicBackendTest, Http529ThenSuccess) {
  Backend();
  server_.Enqueue(FakeResponse::Json(529, ErrorJson("overloaded_error", "Overloaded")));
  server_.Enqueue(FakeResponse::Sse({ev::ToSse(ev::ThinkingThenText())}));
  ExpectFullResult(RunOne());
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(AnthropicBackendTest, RateLimitWaitsForRetryAfter) {
  Backend();
  server_.Enqueue(FakeResponse::Json(429, ErrorJson("rate_limit_error", "slow down"))
                      .WithHeader("retry-after", "1"));
  server_.Enqueue(FakeResponse::Sse({ev::ToSse(ev::ThinkingThenText())}));
  const auto start = std::chrono::steady_clock::now();
  ExpectFullResult(RunOne());
  // A lower bound only (the backoff alone is at most 5 ms): it cannot pass by luck.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(AnthropicBackendTest, RetriesStopAtMaxAttempts) {
  Backend(/*max_attempts=*/2);
  server_.SetDefault(FakeResponse::Json(529, ErrorJson("overloaded_error", "Overloaded")));
  ChainResult r = RunOne();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.error.message(), HasSubstr("overloaded_error"));
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(AnthropicBackendTest, InvalidRequestIsNotRetriedAndNeverCarriesTheKey) {
  Backend();
  server_.Enqueue(FakeResponse::Json(
      400,
      ErrorJson("invalid_request_error", std::string("max_tokens: too large; key was ") + kKey)));
  ChainResult r = RunOne();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.error.message(), HasSubstr("max_tokens: too large"));
  EXPECT_THAT(r.error.message(), Not(HasSubstr(kKey)));
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(AnthropicBackendTest, OverloadAfterOutputFailsWithUsageSoFar) {
  Backend();
  std::vector<http::SseEvent> events = {ev::MessageStart(ev::kInputTokens, 0, 0),
                                        ev::BlockStart(0, "text"),
                                        ev::Delta(0, "text_delta", "text", "The answer"),
                                        ev::ErrorEvent("overloaded_error", "Overloaded")};
  server_.Enqueue(FakeResponse::Sse({ev::ToSse(events)}));
  ChainResult r = RunOne();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server_.request_count(), 1u);  // output was seen: no retry
  EXPECT_EQ(r.usage.prompt, ev::kInputTokens);
  EXPECT_EQ(r.usage.completion, (std::string("The answer").size() + 3) / 4);
}

TEST_F(AnthropicBackendTest, CancelMidStreamClosesTheStreamWithPartialUsage) {
  Backend();
  std::vector<http::SseEvent> head = {ev::MessageStart(ev::kInputTokens, ev::kCacheReadTokens, 0),
                                      ev::BlockStart(0, "thinking"),
                                      ev::Delta(0, "thinking_delta", "thinking", "Let me see. ")};
  FakeResponse response = FakeResponse::Sse({ev::ToSse(head)});
  // The rest would come much later: the chain is cancelled before it does.
  response.chunks.push_back(FakeChunk{ev::ToSse(ev::ThinkingThenText()), 60s});
  server_.Enqueue(response);
  auto observer = std::make_shared<Observer>();
  auto handle = backend_->Start(Spec(), observer);
  ASSERT_TRUE(observer->WaitForDeltas(1));
  handle->Cancel();
  ChainResult r = observer->Wait();
  EXPECT_EQ(r.status, ChainStatus::kCancelled);
  EXPECT_EQ(r.reasoning, "Let me see. ");
  EXPECT_EQ(r.usage.prompt, ev::kInputTokens + ev::kCacheReadTokens);
  EXPECT_EQ(r.usage.cached_prompt, ev::kCacheReadTokens);
  EXPECT_EQ(r.usage.reasoning, (std::string("Let me see. ").size() + 3) / 4);
  EXPECT_EQ(r.usage.completion, 0u);
  EXPECT_TRUE(server_.WaitForDisconnects(1));
  EXPECT_EQ(observer->done(), 1);
}

}  // namespace
}  // namespace ptc::anthropic
