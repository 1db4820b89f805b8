#include "samplers/http/http_backend.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "boost/asio/post.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/unshared_status.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/samplers/http/fake_protocol.h"
#include "tests/samplers/http/io_thread.h"

namespace ptc::http {
namespace {

using fakes::FakeChunk;
using fakes::FakeHttpServer;
using fakes::FakeResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Records one chain and checks the observer contract: calls never overlap, deltas only before
// OnDone, exactly one OnDone.
class TestObserver : public ChainObserver {
 public:
  void OnDelta(const ChainDelta& delta) override {
    Enter();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_count_ > 0) violations_.push_back("OnDelta after OnDone");
      text_ += delta.text;
      tokens_ += delta.tokens;
    }
    Leave();
    cv_.notify_all();
  }
  void OnDone(ChainResult result) override {
    Enter();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (++done_count_ > 1) violations_.push_back("second OnDone");
      result_ = std::move(result);
    }
    Leave();
    cv_.notify_all();
  }

  ChainResult Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, 30s, [&] { return result_.has_value(); })) {
      ADD_FAILURE() << "chain did not finish";
      return {};
    }
    ChainResult result = *result_;
    result.error = Unshared(result_->error);  // tests/common/unshared_status.h
    return result;
  }
  bool WaitForText(size_t bytes) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return text_.size() >= bytes; });
  }
  bool done() const {
    std::lock_guard<std::mutex> lock(mu_);
    return done_count_ > 0;
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  std::vector<std::string> violations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_;
  }

 private:
  void Enter() {
    if (in_call_.fetch_add(1) != 0) {
      std::lock_guard<std::mutex> lock(mu_);
      violations_.push_back("overlapping calls");
    }
  }
  void Leave() { in_call_.fetch_sub(1); }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> in_call_{0};
  std::string text_;
  uint64_t tokens_ = 0;
  int done_count_ = 0;
  std::optional<ChainResult> result_;
  std::vector<std::string> violations_;
};

class HttpBackendTest : public ::testing::Test {
 protected:
  static RetryOptions Fast(uint32_t max_attempts = 3) {
    RetryOptions r;
    r.max_attempts = max_attempts;
    r.initial_backoff = 1ms;
    r.max_backoff = 5ms;
    r.jitter_seed = 7;
    return r;
  }

  ~HttpBackendTest() override {
    io_.Stop();
    backend_.reset();
  }

  HttpBackend& MakeBackend(const FakeHttpServer& server, RetryOptions retry = Fast(),
                           std::shared_ptr<FakeProtocol> protocol = nullptr, uint32_t max_n = 1,
                           Timeouts timeouts = {}) {
    ClientOptions options;
    options.endpoints = {server.url()};
    options.timeouts = timeouts;
    auto client = Client::Create(options, io_.io());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!protocol) protocol = std::make_shared<FakeProtocol>();
    HttpBackendOptions backend_options;
    backend_options.name = "fakeapi";
    backend_options.retry = retry;
    backend_options.hedge = hedge_;
    backend_options.max_n_per_request = max_n;
    backend_ = std::make_unique<HttpBackend>(protocol, *client, backend_options, io_.io());
    return *backend_;
  }

  static ChainSpec Spec(uint32_t index = 0) {
    ChainSpec spec;
    spec.index = index;
    spec.model = "fake-model";
    spec.messages = std::make_shared<const std::vector<ChatMessage>>(
        std::vector<ChatMessage>{{ChatMessage::Role::kUser, "hi"}});
    return spec;
  }

  // Runs one chain to its end.
  ChainResult Run(const ChainSpec& spec = Spec(),
                  std::shared_ptr<TestObserver>* observer_out = nullptr) {
    auto observer = std::make_shared<TestObserver>();
    backend_->Start(spec, observer);
    ChainResult result = observer->Wait();
    EXPECT_THAT(observer->violations(), ::testing::IsEmpty());
    if (observer_out != nullptr) *observer_out = observer;
    return result;
  }

  static void ExpectNoSecret(const ChainResult& result) {
    EXPECT_THAT(result.error.ToString(), Not(HasSubstr(kFakeApiKey)));
  }

  IoThread io_;
  HedgeOptions hedge_;  // set before MakeBackend
  std::unique_ptr<HttpBackend> backend_;
};

FakeResponse Stream(std::vector<std::string> events) {
  std::vector<std::string> chunks;
  for (auto& e : events) chunks.push_back("data: " + e + "\n\n");
  return FakeResponse::Sse(std::move(chunks));
}

TEST_F(HttpBackendTest, StreamsAChain) {
  FakeHttpServer server;
  server.Enqueue(Stream({"0 Hel", "0 lo", "[DONE]"}));
  MakeBackend(server);
  std::shared_ptr<TestObserver> observer;
  const ChainResult r = Run(Spec(3), &observer);
  EXPECT_EQ(r.status, ChainStatus::kOk);
  EXPECT_EQ(r.text, "Hello");
  EXPECT_EQ(observer->text(), "Hello");
  EXPECT_EQ(r.usage.completion, 2u);
  EXPECT_EQ(r.finish_reason, "stop");
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].body, "model=fake-model n=1 index=3");
  EXPECT_EQ(server.requests()[0].target, "/fake");
}

// Over two io_contexts (the server runs one per worker thread), a chain started from a handler
// of one runs there: its upstream request's strand and connection are that context's, so every
// observer call comes on the starting handler's thread.
TEST_F(HttpBackendTest, ChainsRunOnTheContextOfTheHandlerThatStartsThem) {
  class ContextObserver : public TestObserver {
   public:
    explicit ContextObserver(boost::asio::io_context& io) : io_(io) {}
    void OnDelta(const ChainDelta& delta) override {
      Check();
      TestObserver::OnDelta(delta);
    }
    void OnDone(ChainResult result) override {
      Check();
      TestObserver::OnDone(std::move(result));
    }
    int calls() const { return calls_.load(); }
    int elsewhere() const { return elsewhere_.load(); }

   private:
    void Check() {
      ++calls_;
      if (!io_.get_executor().running_in_this_thread()) ++elsewhere_;
    }
    boost::asio::io_context& io_;
    std::atomic<int> calls_{0};
    std::atomic<int> elsewhere_{0};
  };
  IoThread second;
  FakeHttpServer server;
  server.SetDefault(Stream({"0 Hel", "0 lo", "[DONE]"}));
  const IoContexts both({&io_.io(), &second.io()});
  ClientOptions options;
  options.endpoints = {server.url()};
  auto client = Client::Create(options, both);
  ASSERT_TRUE(client.ok()) << client.status();
  HttpBackendOptions backend_options;
  backend_options.name = "fakeapi";
  backend_options.retry = Fast();
  backend_ = std::make_unique<HttpBackend>(std::make_shared<FakeProtocol>(), *client,
                                           backend_options, both);
  std::vector<std::shared_ptr<ContextObserver>> observers;
  for (int round = 0; round < 3; ++round) {
    for (boost::asio::io_context* io : {&io_.io(), &second.io()}) {
      auto observer = std::make_shared<ContextObserver>(*io);
      observers.push_back(observer);
      boost::asio::post(*io, [this, observer] { backend_->Start(Spec(), observer); });
    }
  }
  for (auto& observer : observers) {
    EXPECT_EQ(observer->Wait().text, "Hello");
    EXPECT_EQ(observer->calls(), 3);  // two deltas and the end
    EXPECT_EQ(observer->elsewhere(), 0);
  }
  backend_.reset();
  client->reset();
  io_.Join();  // nothing dropped: what holds a connection on the other context goes now
  second.Join();
}

TEST_F(HttpBackendTest, NonStreamingBody) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Text(200, "text/plain", "0 one\n0 two\n"));
  MakeBackend(server, Fast(), std::make_shared<FakeProtocol>(/*streaming=*/false));
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kOk);
  EXPECT_EQ(r.text, "onetwo");
  EXPECT_EQ(r.usage.completion, 2u);
}

TEST_F(HttpBackendTest, RateLimitedWithRetryAfterIsRetriedThenSucceeds) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Json(429, R"({"error":"rate"})").WithHeader("Retry-After", "1"));
  server.Enqueue(Stream({"0 ok", "[DONE]"}));
  MakeBackend(server);
  const auto start = std::chrono::steady_clock::now();
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(r.text, "ok");
  EXPECT_EQ(server.request_count(), 2u);
  // The backoff is at most 5 ms here: only honouring retry-after makes the wait 1 s.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(HttpBackendTest, RetriesStopWhenTheRetryBudgetIsSpent) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(503, R"({"error":"down"})"));
  RetryOptions retry = Fast(4);
  retry.budget = {.ratio = 0.5, .min_per_second = 0};
  MakeBackend(server, retry);
  // Two chains deposit one retry between them: the first to fail takes it, then nobody retries.
  const ChainResult a = Run();
  const ChainResult b = Run();
  EXPECT_EQ(a.status, ChainStatus::kFailed);
  EXPECT_EQ(b.status, ChainStatus::kFailed);
  EXPECT_EQ(server.request_count(), 3u);  // 2 first attempts + 1 retry, not 2 × 4
  EXPECT_THAT(b.error.message(), HasSubstr("not retried: the backend's retry budget"));
}

class HttpBackendStatusTest : public HttpBackendTest, public ::testing::WithParamInterface<int> {};

TEST_P(HttpBackendStatusTest, RetriedUpToMaxAttemptsThenFailsWithTheCode) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(GetParam(), R"({"error":"down"})"));
  MakeBackend(server, Fast(3));
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable) << r.error;
  EXPECT_THAT(r.error.message(), HasSubstr("fakeapi: HTTP " + std::to_string(GetParam())));
  EXPECT_THAT(r.error.message(), HasSubstr("after 3 attempts"));
  EXPECT_EQ(r.finish_reason, "error");
  EXPECT_EQ(server.request_count(), 3u);
  ExpectNoSecret(r);
}

INSTANTIATE_TEST_SUITE_P(ServerErrors, HttpBackendStatusTest,
                         ::testing::Values(500, 502, 503, 529));

TEST_F(HttpBackendTest, ClientErrorIsNotRetried) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(400, R"({"error":"bad temperature"})"));
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.error.message(), HasSubstr("bad temperature"));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpBackendTest, ResetAfterOutputFailsWithoutRetryAndKeepsPartialUsage) {
  FakeHttpServer server;
  FakeResponse reset = Stream({"0 partial", "0 more", "[DONE]"});
  reset.reset_after_chunks = 1;
  server.SetDefault(reset);
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable) << r.error;
  EXPECT_THAT(r.error.message(), HasSubstr("fakeapi: "));
  EXPECT_EQ(r.text, "partial");
  EXPECT_EQ(r.usage.completion, 1u);
  EXPECT_EQ(r.usage.prompt, 10u);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpBackendTest, ResetBeforeOutputIsRetried) {
  FakeHttpServer server;
  FakeResponse reset = Stream({"0 never"});
  reset.reset_after_chunks = 0;
  server.Enqueue(reset);
  server.Enqueue(Stream({"0 fine", "[DONE]"}));
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(r.text, "fine");
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(HttpBackendTest, TruncatedBodyAfterOutputFails) {
  FakeHttpServer server;
  FakeResponse truncated = Stream({"0 a", "0 b"});
  truncated.truncate_missing_bytes = 100;
  server.SetDefault(truncated);
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable) << r.error;
  EXPECT_EQ(r.text, "ab");
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpBackendTest, StreamWithoutTerminalEventEndedEarly) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Sse({": just a comment\n\n"}));
  MakeBackend(server, Fast(2));
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.error.message(), HasSubstr("stream ended early"));
  EXPECT_EQ(server.request_count(), 2u);  // no output yet: retried
}

TEST_F(HttpBackendTest, HtmlErrorPageGivesACleanMessage) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Text(
      502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body>nginx</body>"));
  MakeBackend(server, Fast(1));
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.message(), "fakeapi: HTTP 502");
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpBackendTest, StreamErrorEventRetriedWhenRetryable) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Sse({"event: error\ndata: overloaded\n\n"}));
  server.Enqueue(Stream({"0 after", "[DONE]"}));
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(HttpBackendTest, DripOneByteASecondHitsTheIdleTimeout) {
  FakeHttpServer server;
  FakeResponse drip = Stream({"0 slow", "[DONE]"});
  drip.drip_interval = 1s;
  server.SetDefault(drip);
  Timeouts timeouts;
  timeouts.idle = 300ms;
  MakeBackend(server, Fast(1), nullptr, 1, timeouts);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kDeadlineExceeded) << r.error;
  EXPECT_THAT(r.error.message(), HasSubstr("idle timeout"));
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

TEST_F(HttpBackendTest, NoRetryPastTheDeadline) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(503, "{}").WithHeader("Retry-After", "30"));
  MakeBackend(server, Fast(5));
  ChainSpec spec = Spec();
  spec.deadline = std::chrono::steady_clock::now() + 5s;
  const ChainResult r = Run(spec);
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now(), spec.deadline);  // failed without waiting
}

TEST_F(HttpBackendTest, CancelMidStream) {
  FakeHttpServer server;
  FakeResponse hanging = Stream({"0 first", "0 never", "[DONE]"});
  hanging.chunks[1].gate = "never";
  server.SetDefault(hanging);
  MakeBackend(server);
  auto observer = std::make_shared<TestObserver>();
  auto handle = backend_->Start(Spec(), observer);
  ASSERT_TRUE(observer->WaitForText(5));
  handle->Cancel();
  handle->Cancel();
  const ChainResult r = observer->Wait();
  EXPECT_EQ(r.status, ChainStatus::kCancelled);
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_EQ(r.text, "first");
  EXPECT_EQ(r.usage.completion, 1u);
  EXPECT_TRUE(server.WaitForDisconnects(1));
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_THAT(observer->violations(), ::testing::IsEmpty());
}

TEST_F(HttpBackendTest, ChainOutlivesTheBackend) {
  FakeHttpServer server;
  FakeResponse gated = Stream({"0 a", "0 b", "[DONE]"});
  gated.chunks[1].gate = "go";
  server.SetDefault(gated);
  MakeBackend(server);
  auto observer = std::make_shared<TestObserver>();
  auto handle = backend_->Start(Spec(), observer);
  ASSERT_TRUE(observer->WaitForText(1));
  backend_.reset();
  server.OpenGate("go");
  const ChainResult r = observer->Wait();
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(r.text, "ab");
}

TEST_F(HttpBackendTest, CancelDuringBackoff) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(503, "{}").WithHeader("Retry-After", "30"));
  MakeBackend(server, Fast(5));
  auto observer = std::make_shared<TestObserver>();
  auto handle = backend_->Start(Spec(), observer);
  ASSERT_TRUE(server.WaitForRequests(1));
  handle->Cancel();
  EXPECT_EQ(observer->Wait().status, ChainStatus::kCancelled);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpBackendTest, NativeNServesFourChainsInOneRequestWithOneCancelled) {
  FakeHttpServer server;
  FakeResponse shared =
      FakeResponse::Sse({"data: 0 a\n\ndata: 1 b\n\ndata: 2 c\n\ndata: 3 d\n\n",
                         "data: 0 A\n\ndata: 1 B\n\ndata: 2 C\n\ndata: 3 D\n\ndata: [DONE]\n\n"});
  shared.chunks[1].gate = "rest";
  server.Enqueue(shared);
  MakeBackend(server, Fast(), std::make_shared<FakeProtocol>(true, /*native_n=*/true), 4);
  std::vector<ChainSpec> specs;
  std::vector<std::shared_ptr<ChainObserver>> observers;
  std::vector<std::shared_ptr<TestObserver>> obs;
  for (uint32_t i = 0; i < 4; ++i) {
    specs.push_back(Spec(i));
    obs.push_back(std::make_shared<TestObserver>());
    observers.push_back(obs.back());
  }
  auto handles = backend_->StartMany(specs, observers);
  ASSERT_EQ(handles.size(), 4u);
  for (auto& o : obs) ASSERT_TRUE(o->WaitForText(1));
  handles[2]->Cancel();
  const ChainResult cancelled = obs[2]->Wait();
  EXPECT_EQ(cancelled.status, ChainStatus::kCancelled);
  EXPECT_EQ(cancelled.text, "c");
  EXPECT_EQ(cancelled.usage.completion, 1u);
  server.OpenGate("rest");
  const std::string expected[] = {"aA", "bB", "", "dD"};
  for (uint32_t i : {0u, 1u, 3u}) {
    const ChainResult r = obs[i]->Wait();
    EXPECT_EQ(r.status, ChainStatus::kOk) << i << ": " << r.error;
    EXPECT_EQ(r.text, expected[i]);
    EXPECT_EQ(r.usage.completion, 2u);
  }
  EXPECT_EQ(obs[2]->text(), "c");  // nothing after its cancel
  for (auto& o : obs) EXPECT_THAT(o->violations(), ::testing::IsEmpty());
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].body, "model=fake-model n=4 index=0");
}

TEST_F(HttpBackendTest, NativeNClosesTheRequestWhenEveryChainIsCancelled) {
  FakeHttpServer server;
  FakeResponse shared = FakeResponse::Sse({"data: 0 a\n\ndata: 1 b\n\n", "data: [DONE]\n\n"});
  shared.chunks[1].gate = "never";
  server.Enqueue(shared);
  MakeBackend(server, Fast(), std::make_shared<FakeProtocol>(true, true), 2);
  std::vector<ChainSpec> specs = {Spec(0), Spec(1)};
  auto a = std::make_shared<TestObserver>(), b = std::make_shared<TestObserver>();
  std::vector<std::shared_ptr<ChainObserver>> observers = {a, b};
  auto handles = backend_->StartMany(specs, observers);
  ASSERT_TRUE(a->WaitForText(1));
  ASSERT_TRUE(b->WaitForText(1));
  handles[0]->Cancel();
  EXPECT_EQ(a->Wait().status, ChainStatus::kCancelled);
  EXPECT_EQ(server.client_disconnects(), 0u);  // b still wants it
  handles[1]->Cancel();
  EXPECT_EQ(b->Wait().status, ChainStatus::kCancelled);
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

TEST_F(HttpBackendTest, WithoutNativeNStartManySendsOneRequestPerChain) {
  FakeHttpServer server;
  server.SetDefault(Stream({"0 x", "[DONE]"}));
  MakeBackend(server, Fast(), nullptr, 4);
  std::vector<ChainSpec> specs = {Spec(0), Spec(1), Spec(2)};
  std::vector<std::shared_ptr<TestObserver>> obs;
  std::vector<std::shared_ptr<ChainObserver>> observers;
  for (int i = 0; i < 3; ++i) {
    obs.push_back(std::make_shared<TestObserver>());
    observers.push_back(obs.back());
  }
  auto handles = backend_->StartMany(specs, observers);
  for (auto& o : obs) EXPECT_EQ(o->Wait().status, ChainStatus::kOk);
  EXPECT_EQ(server.request_count(), 3u);
}

TEST_F(HttpBackendTest, MalformedEventFailsWithoutRetry) {
  FakeHttpServer server;
  server.SetDefault(Stream({"garbage"}));
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kFailed);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(r.error.message(), HasSubstr("fakeapi: malformed event"));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpBackendTest, AStragglerIsHedgedAndTheFirstToStreamWins) {
  FakeHttpServer server;
  FakeResponse straggler = Stream({"0 slow", "[DONE]"});
  straggler.chunks[0].gate = "straggler";  // head sent, no output
  server.Enqueue(straggler);
  server.Enqueue(Stream({"0 hedged", "[DONE]"}));
  hedge_ = {.after = 20ms, .max_ratio = 1.0};
  MakeBackend(server);
  const ChainResult r = Run();
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(r.text, "hedged");
  EXPECT_EQ(server.request_count(), 2u);
  // The straggler was cancelled: its connection closed.
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

TEST_F(HttpBackendTest, NoHedgeWhenOutputComesInTime) {
  FakeHttpServer server;
  server.SetDefault(Stream({"0 prompt", "[DONE]"}));
  hedge_ = {.after = 2000ms, .max_ratio = 1.0};
  MakeBackend(server);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Run().status, ChainStatus::kOk);
  EXPECT_EQ(server.request_count(), 3u);
}

TEST_F(HttpBackendTest, HedgesAreBoundedByTheirBudget) {
  FakeHttpServer server;
  FakeResponse slow = Stream({"0 late", "[DONE]"});
  slow.head_delay = 100ms;
  server.SetDefault(slow);
  hedge_ = {.after = 10ms, .max_ratio = 0.5};  // two chains earn one hedge
  MakeBackend(server);
  EXPECT_EQ(Run().status, ChainStatus::kOk);
  EXPECT_EQ(Run().status, ChainStatus::kOk);
  EXPECT_EQ(server.request_count(), 3u);  // 2 chains + 1 hedge, not 2 + 2
}

TEST_F(HttpBackendTest, AFailedHedgeLeavesTheOriginalRunning) {
  FakeHttpServer server;
  FakeResponse original = Stream({"0 original", "[DONE]"});
  original.chunks[0].gate = "original";
  server.Enqueue(original);
  server.Enqueue(FakeResponse::Json(503, R"({"error":"busy"})"));
  hedge_ = {.after = 10ms, .max_ratio = 1.0};
  MakeBackend(server, Fast(4));
  auto observer = std::make_shared<TestObserver>();
  backend_->Start(Spec(), observer);
  ASSERT_TRUE(server.WaitForRequests(2));
  // Let the hedge's 503 arrive and be dropped, then let the original stream.
  std::this_thread::sleep_for(200ms);
  server.OpenGate("original");
  const ChainResult r = observer->Wait();
  EXPECT_EQ(r.status, ChainStatus::kOk) << r.error;
  EXPECT_EQ(r.text, "original");
  EXPECT_EQ(server.request_count(), 2u);  // the failed hedge was not retried
}

}  // namespace
}  // namespace ptc::http
