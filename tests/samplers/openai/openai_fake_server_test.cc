// The OpenAI backend (factory -> HttpBackend + OpenAiProtocol) against a scripted HTTP server:
// what goes on the wire, retries and errors as the protocol classifies them, native n, and
// streams split at awkward places.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "ptc/v1/backends/openai.pb.h"
#include "samplers/backend_registry.h"
#include "tests/common/test_notification.h"
#include "tests/fakes/fake_http_server.h"

namespace ptc::openai {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;
using fakes::FakeHttpServer;
using fakes::FakeResponse;

class Observer : public ChainObserver {
 public:
  void OnDelta(const ChainDelta& d) override {
    text.append(d.text.data(), d.text.size());
    reasoning.append(d.reasoning.data(), d.reasoning.size());
  }
  void OnDone(ChainResult r) override {
    result = std::move(r);
    done.Notify();
  }
  bool Wait() { return done.WaitForNotificationWithTimeout(absl::Seconds(30)); }
  std::string text, reasoning;
  ChainResult result;
  TestNotification done;
};

std::string Event(const Json& j) { return "data: " + j.dump() + "\n\n"; }

std::string Chunk(uint32_t index, const std::string& content, const char* finish = nullptr) {
  Json choice = {{"index", index}, {"delta", {{"content", content}}}};
  choice["finish_reason"] = finish == nullptr ? Json(nullptr) : Json(finish);
  return Event(Json{{"id", "c"},
                    {"object", "chat.completion.chunk"},
                    {"created", 1},
                    {"model", "m"},
                    {"choices", Json::array({choice})}});
}

std::string Usage(int prompt, int completion, int reasoning = 0) {
  return Event(Json{{"id", "c"},
                    {"object", "chat.completion.chunk"},
                    {"created", 1},
                    {"model", "m"},
                    {"choices", Json::array()},
                    {"usage",
                     {{"prompt_tokens", prompt},
                      {"completion_tokens", completion},
                      {"total_tokens", prompt + completion},
                      {"completion_tokens_details", {{"reasoning_tokens", reasoning}}}}}});
}

constexpr char kDone[] = "data: [DONE]\n\n";

class OpenAiFakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("PTC_OPENAI_FAKE_KEY", "sk-test-secret-0123456789", 1);
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    backend_.reset();
    work_.reset();
    thread_.join();
  }

  void Make(uint32_t max_attempts = 3, uint32_t max_n = 1) {
    v1::OpenAiBackendConfig c;
    c.set_default_model("gpt-test");
    c.mutable_http()->add_endpoints(server_.url() + "/v1");
    c.mutable_http()->set_api_key_env("PTC_OPENAI_FAKE_KEY");
    (*c.mutable_http()->mutable_headers())["openai-organization"] = "org-1";
    c.mutable_http()->mutable_retry()->set_max_attempts(max_attempts);
    c.mutable_http()->mutable_retry()->set_initial_backoff_ms(1);
    c.mutable_http()->mutable_retry()->set_max_backoff_ms(5);
    c.set_max_n_per_request(max_n);
    google::protobuf::Any any;
    any.PackFrom(c);
    BackendDeps deps{io_, "fake-openai"};
    auto b = CreateBackend(any, deps);
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = *std::move(b);
  }

  ChainSpec Spec() const {
    ChainSpec s;
    s.model = "gpt-test";
    s.messages = std::make_shared<const std::vector<ChatMessage>>(
        std::vector<ChatMessage>{{ChatMessage::Role::kUser, "Pick one: A) 1 B) 2"}});
    s.seed = 77;
    s.max_tokens = 256;
    return s;
  }

  std::shared_ptr<Observer> Run(const ChainSpec& spec) {
    auto o = std::make_shared<Observer>();
    handles_.push_back(backend_->Start(spec, o));
    EXPECT_TRUE(o->Wait());
    return o;
  }

  FakeHttpServer server_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<Backend> backend_;
  std::vector<std::unique_ptr<ChainHandle>> handles_;
};

TEST_F(OpenAiFakeServerTest, WireFormatAndAStreamSplitAnywhere) {
  Make();
  // Events split across TCP writes, and the think tags across events.
  const std::string stream = Chunk(0, "<thi") + Chunk(0, "nk>weigh A and B</th") +
                             Chunk(0, "ink>\n\nAnswer: B", "stop") + Usage(12, 40, 30) + kDone;
  std::vector<std::string> pieces;
  for (size_t i = 0; i < stream.size(); i += 7) pieces.push_back(stream.substr(i, 7));
  server_.Enqueue(FakeResponse::Sse(pieces));
  auto o = Run(Spec());
  ASSERT_EQ(o->result.status, ChainStatus::kOk) << o->result.error;
  EXPECT_EQ(o->result.text, "\n\nAnswer: B");
  EXPECT_EQ(o->result.reasoning, "weigh A and B");
  EXPECT_EQ(o->text, o->result.text);
  EXPECT_EQ(o->reasoning, o->result.reasoning);
  EXPECT_EQ(o->result.usage.prompt, 12u);
  EXPECT_EQ(o->result.usage.reasoning, 30u);
  EXPECT_EQ(o->result.usage.completion, 10u);

  ASSERT_EQ(server_.request_count(), 1u);
  const fakes::RecordedRequest r = server_.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/chat/completions");
  EXPECT_EQ(r.Header("authorization"), "Bearer sk-test-secret-0123456789");
  EXPECT_EQ(r.Header("openai-organization"), "org-1");
  EXPECT_THAT(r.Header("content-type"), HasSubstr("application/json"));
  const Json body = Json::parse(r.body);
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_EQ(body["seed"], 77);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["max_completion_tokens"], 256);
}

TEST_F(OpenAiFakeServerTest, RateLimitIsRetriedThenSucceeds) {
  Make();
  server_.Enqueue(FakeResponse::Json(429, R"({"error": {"message": "Rate limit reached",
                                          "type": "requests", "code": "rate_limit_exceeded"}})")
                      .WithHeader("retry-after", "0"));
  server_.Enqueue(FakeResponse::Text(503, "text/html", "<html>busy</html>"));
  server_.Enqueue(FakeResponse::Sse({Chunk(0, "B", "stop"), Usage(5, 1), kDone}));
  auto o = Run(Spec());
  ASSERT_EQ(o->result.status, ChainStatus::kOk) << o->result.error;
  EXPECT_EQ(o->result.text, "B");
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(OpenAiFakeServerTest, ErrorsAreClassifiedAndNeverQuoteHtmlOrKeys) {
  Make(2);
  server_.Enqueue(FakeResponse::Text(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"));
  server_.Enqueue(FakeResponse::Text(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"));
  auto o = Run(Spec());
  EXPECT_EQ(o->result.status, ChainStatus::kFailed);
  EXPECT_EQ(o->result.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(o->result.error.message(), HasSubstr("HTTP 502 (non-JSON body)"));
  EXPECT_THAT(o->result.error.message(), HasSubstr("fake-openai"));
  EXPECT_THAT(o->result.error.message(), Not(HasSubstr("html")));
  EXPECT_EQ(server_.request_count(), 2u);

  server_.Enqueue(FakeResponse::Json(
      401, R"({"error": {"message": "Incorrect API key provided: sk-test-secret-0123456789.",
             "type": "invalid_request_error", "code": "invalid_api_key"}})"));
  o = Run(Spec());
  EXPECT_EQ(o->result.error.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(o->result.error.message(), HasSubstr("Incorrect API key provided"));
  EXPECT_THAT(o->result.error.message(), Not(HasSubstr("0123456789")));
  EXPECT_EQ(server_.request_count(), 3u);  // not retried

  server_.Enqueue(
      FakeResponse::Json(400, R"({"error": {"message": "'top_logprobs' must be <= 20", "type":
             "invalid_request_error", "param": "top_logprobs", "code": null}})"));
  o = Run(Spec());
  EXPECT_EQ(o->result.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_.request_count(), 4u);  // not retried
}

TEST_F(OpenAiFakeServerTest, FailuresAfterOutputEndTheChainWithUsageSoFar) {
  Make();
  server_.Enqueue(FakeResponse::Sse(
      {Chunk(0, "Thinking"),
       Event(
           Json{{"error", {{"message", "The server is overloaded"}, {"type", "server_error"}}}})}));
  auto o = Run(Spec());
  EXPECT_EQ(o->result.status, ChainStatus::kFailed);
  EXPECT_EQ(o->result.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(o->result.error.message(), HasSubstr("overloaded"));
  EXPECT_EQ(o->result.text, "Thinking");
  EXPECT_EQ(o->result.usage.completion, 1u);  // one chunk seen
  EXPECT_EQ(o->result.usage.prompt, 5u);      // 19 bytes / 4, rounded up
  EXPECT_EQ(server_.request_count(), 1u);     // output was streamed: no retry

  server_.Enqueue(FakeResponse::Sse({Chunk(0, "x"), "data: {\"choices\": [{\"ind\n\n"}));
  o = Run(Spec());
  EXPECT_EQ(o->result.status, ChainStatus::kFailed);
  EXPECT_EQ(o->result.error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(o->result.error.message(), HasSubstr("malformed"));
}

TEST_F(OpenAiFakeServerTest, NativeNDemultiplexesChoices) {
  Make(1, 3);
  server_.Enqueue(
      FakeResponse::Sse({Chunk(2, "C"), Chunk(0, "A"), Chunk(1, "B", "stop"), Chunk(0, "A", "stop"),
                         Chunk(2, "C", "length"), Usage(9, 50), kDone}));
  std::vector<ChainSpec> specs(3, Spec());
  std::vector<std::shared_ptr<ChainObserver>> observers;
  for (uint32_t i = 0; i < 3; ++i) {
    specs[i].index = i;
    specs[i].seed = 100 + i;
    observers.push_back(std::make_shared<Observer>());
  }
  auto handles = backend_->StartMany(specs, observers);
  uint64_t completion = 0, prompt = 0;
  const char* want[] = {"AA", "B", "CC"};
  for (uint32_t i = 0; i < 3; ++i) {
    auto& o = static_cast<Observer&>(*observers[i]);
    ASSERT_TRUE(o.Wait());
    ASSERT_EQ(o.result.status, ChainStatus::kOk) << o.result.error;
    EXPECT_EQ(o.result.text, want[i]);
    completion += o.result.usage.completion;
    prompt += o.result.usage.prompt;
  }
  EXPECT_EQ(completion, 50u);
  EXPECT_EQ(prompt, 9u);
  ASSERT_EQ(server_.request_count(), 1u);
  const Json body = Json::parse(server_.requests()[0].body);
  EXPECT_EQ(body["n"], 3);
  EXPECT_EQ(body["seed"], 100);
}

}  // namespace
}  // namespace ptc::openai
