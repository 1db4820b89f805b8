#include "samplers/http/http_client.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/ip/tcp.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/samplers/http/io_thread.h"
#include "tests/samplers/http/recording_handler.h"

namespace ptc::http {
namespace {

using fakes::FakeHttpServer;
using fakes::FakeHttpServerOptions;
using fakes::FakeResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kSecret[] = "sk-TOPSECRET-1234";

class HttpClientTest : public ::testing::Test {
 protected:
  ~HttpClientTest() override {
    io_.Stop();
    client_.reset();
  }

  std::shared_ptr<Client> MakeClient(ClientOptions options) {
    absl::StatusOr<std::shared_ptr<Client>> client = Client::Create(std::move(options), io_.io());
    EXPECT_TRUE(client.ok()) << client.status();
    client_ = *client;
    return client_;
  }
  std::shared_ptr<Client> MakeClient(const std::string& url) {
    ClientOptions options;
    options.endpoints = {url};
    return MakeClient(std::move(options));
  }

  static Request Post(std::string path = "/chat") {
    Request r;
    r.path = std::move(path);
    r.headers = {{"Authorization", std::string("Bearer ") + kSecret}};
    r.body = R"({"q":1})";
    return r;
  }

  // Starts a request and waits for its end.
  absl::Status Run(Request request, std::shared_ptr<RecordingHandler>* handler_out = nullptr) {
    auto handler = std::make_shared<RecordingHandler>();
    client_->Start(std::move(request), handler);
    absl::Status status = handler->Wait();
    if (handler_out != nullptr) *handler_out = handler;
    return status;
  }

  IoThread io_;
  std::shared_ptr<Client> client_;
};

FakeResponse Hanging() {
  // One event, then nothing for an hour.
  return FakeResponse::Sse({"data: first\n\n", "data: never\n\n"}, std::chrono::hours(1));
}

TEST_F(HttpClientTest, StreamsTheBodyAndSendsTheRequest) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Sse({"data: a\n\n", "data: b\n\n"}).WithHeader("X-Thing", "v"));
  MakeClient(server.url() + "/v1/");
  std::shared_ptr<RecordingHandler> h;
  ASSERT_TRUE(Run(Post("/chat/completions"), &h).ok());
  EXPECT_EQ(h->heads(), 1);
  EXPECT_EQ(h->completions(), 1);
  EXPECT_EQ(h->head().status, 200);
  EXPECT_EQ(h->head().Header("x-thing"), "v");
  EXPECT_EQ(h->head().Header("content-type"), "text/event-stream");
  EXPECT_EQ(h->body(), "data: a\n\ndata: b\n\n");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].Header("authorization"), std::string("Bearer ") + kSecret);
  EXPECT_EQ(requests[0].Header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].body, R"({"q":1})");
}

TEST_F(HttpClientTest, NonSuccessStatusIsDeliveredNotFailed) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Json(503, R"({"error":"busy"})"));
  MakeClient(server.url());
  std::shared_ptr<RecordingHandler> h;
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_EQ(h->head().status, 503);
  EXPECT_EQ(h->body(), R"({"error":"busy"})");
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  FakeHttpServer server;
  MakeClient(server.url());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Run(Post()).ok());
  EXPECT_EQ(server.connections_accepted(), 1u);
  const auto stats = client_->Stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].open_connections, 1u);
  EXPECT_EQ(stats[0].idle_connections, 1u);
  EXPECT_EQ(stats[0].outstanding, 0u);
}

TEST_F(HttpClientTest, ConnectionCloseIsNotReused) {
  FakeHttpServer server;
  FakeResponse close = FakeResponse::Json(200, "{}");
  close.keep_alive = false;
  server.SetDefault(close);
  MakeClient(server.url());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Run(Post()).ok());
  EXPECT_EQ(server.connections_accepted(), 3u);
  EXPECT_EQ(client_->Stats()[0].open_connections, 0u);
}

TEST_F(HttpClientTest, ServerClosingAnIdleConnectionIsRetriedOnANewOne) {
  FakeHttpServer server;
  MakeClient(server.url());
  ASSERT_TRUE(Run(Post()).ok());
  // The next request goes to the idle connection; the server drops it before answering, as a
  // server that timed the idle connection out would.
  FakeResponse drop;
  drop.close_before_head = true;
  server.Enqueue(drop);
  ASSERT_TRUE(Run(Post()).ok());
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST_F(HttpClientTest, PoolCapQueuesBeyondMaxConnections) {
  FakeHttpServer server;
  server.SetDefault(Hanging());
  ClientOptions options;
  options.endpoints = {server.url()};
  options.max_connections_per_endpoint = 2;
  MakeClient(options);
  std::vector<std::shared_ptr<RecordingHandler>> handlers;
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < 5; ++i) {
    handlers.push_back(std::make_shared<RecordingHandler>());
    calls.push_back(client_->Start(Post(), handlers.back()));
  }
  ASSERT_TRUE(server.WaitForRequests(2));
  ASSERT_TRUE(handlers[0]->WaitForBody(1));
  ASSERT_TRUE(handlers[1]->WaitForBody(1));
  auto stats = client_->Stats();
  EXPECT_EQ(stats[0].outstanding, 5u);
  EXPECT_EQ(stats[0].open_connections, 2u);
  EXPECT_EQ(server.request_count(), 2u);
  // Cancelling the two running ones lets two queued ones through, on new connections.
  calls[0]->Cancel();
  calls[1]->Cancel();
  EXPECT_EQ(handlers[0]->Wait().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(handlers[1]->Wait().code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(server.WaitForRequests(4));
  // A queued request cancelled before it got a connection ends at once.
  calls[4]->Cancel();
  EXPECT_EQ(handlers[4]->Wait().code(), absl::StatusCode::kCancelled);
  calls[2]->Cancel();
  calls[3]->Cancel();
  EXPECT_EQ(handlers[2]->Wait().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(handlers[3]->Wait().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(server.connections_accepted(), 4u);
  EXPECT_EQ(server.request_count(), 4u);
  EXPECT_TRUE(server.WaitForDisconnects(4));
  stats = client_->Stats();
  EXPECT_EQ(stats[0].outstanding, 0u);
  EXPECT_EQ(stats[0].open_connections, 0u);
}

TEST_F(HttpClientTest, PoolOfTwoServesFiveRequestsOverTwoConnections) {
  FakeHttpServer server;
  ClientOptions options;
  options.endpoints = {server.url()};
  options.max_connections_per_endpoint = 2;
  MakeClient(options);
  std::vector<std::shared_ptr<RecordingHandler>> handlers;
  for (int i = 0; i < 5; ++i) {
    handlers.push_back(std::make_shared<RecordingHandler>());
    client_->Start(Post(), handlers.back());
  }
  for (auto& h : handlers) EXPECT_TRUE(h->Wait().ok());
  EXPECT_EQ(server.request_count(), 5u);
  EXPECT_LE(server.connections_accepted(), 2u);
}

// Records, besides what RecordingHandler does, whether every call ran on `strand`.
class StrandCheckingHandler : public RecordingHandler {
 public:
  explicit StrandCheckingHandler(Strand strand) : strand_(std::move(strand)) {}
  void OnHead(const ResponseHead& head) override {
    Check();
    RecordingHandler::OnHead(head);
  }
  void OnBody(std::string_view bytes) override {
    Check();
    RecordingHandler::OnBody(bytes);
  }
  void OnComplete(absl::Status status) override {
    Check();
    RecordingHandler::OnComplete(std::move(status));
  }
  const Strand& strand() const { return strand_; }
  int calls() const { return calls_.load(); }
  int off_strand() const { return off_strand_.load(); }

 private:
  void Check() {
    ++calls_;
    if (!strand_.running_in_this_thread()) ++off_strand_;
  }
  Strand strand_;
  std::atomic<int> calls_{0};
  std::atomic<int> off_strand_{0};
};

TEST_F(HttpClientTest, HandlerCallsRunOnTheCallersStrandEvenWhenQueuedForAConnection) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Sse({"data: a\n\n", "data: b\n\n"}, 5ms));
  ClientOptions options;
  options.endpoints = {server.url()};
  options.max_connections_per_endpoint = 1;  // the others queue and get the connection handed over
  MakeClient(options);
  std::vector<std::shared_ptr<StrandCheckingHandler>> handlers;
  for (int i = 0; i < 4; ++i) {
    handlers.push_back(std::make_shared<StrandCheckingHandler>(boost::asio::make_strand(io_.io())));
  }
  for (auto& h : handlers) client_->Start(Post(), h, h->strand());
  for (auto& h : handlers) {
    ASSERT_TRUE(h->Wait().ok());
    EXPECT_EQ(h->body(), "data: a\n\ndata: b\n\n");
    EXPECT_GE(h->calls(), 3);  // head, body, completion
    EXPECT_EQ(h->off_strand(), 0);
  }
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(server.request_count(), 4u);
  // Without a strand of the caller's the handler is not on that one: the check can fail.
  auto other = std::make_shared<StrandCheckingHandler>(boost::asio::make_strand(io_.io()));
  client_->Start(Post(), other);
  ASSERT_TRUE(other->Wait().ok());
  EXPECT_EQ(other->off_strand(), other->calls());
}

// Over two io_contexts (the server runs one per worker thread), an exchange takes a connection
// of its strand's context: its socket's completions then run on its own thread. At the
// connection limit it takes another context's idle connection rather than waiting.
TEST_F(HttpClientTest, ConnectionsStayOnTheirExchangesContext) {
  IoThread second;
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Sse({"data: a\n\n"}));
  for (uint32_t limit : {2u, 1u}) {
    SCOPED_TRACE(limit);
    ClientOptions options;
    options.endpoints = {server.url()};
    options.max_connections_per_endpoint = limit;
    absl::StatusOr<std::shared_ptr<Client>> client =
        Client::Create(options, IoContexts({&io_.io(), &second.io()}));
    ASSERT_TRUE(client.ok()) << client.status();
    const size_t accepted_before = server.connections_accepted();
    // In turn on each context, twice: each context's connection is made once and reused.
    for (int round = 0; round < 2; ++round) {
      for (boost::asio::io_context* io : {&io_.io(), &second.io()}) {
        auto h = std::make_shared<StrandCheckingHandler>(boost::asio::make_strand(*io));
        (*client)->Start(Post(), h, h->strand());
        ASSERT_TRUE(h->Wait().ok());
        EXPECT_EQ(h->off_strand(), 0);
      }
    }
    EXPECT_EQ(server.connections_accepted() - accepted_before, limit);
    ASSERT_EQ((*client)->Stats().size(), 1u);
    EXPECT_EQ((*client)->Stats()[0].idle_connections, limit);
    EXPECT_EQ((*client)->Stats()[0].open_connections, limit);
    client->reset();  // its idle connections close
  }
  io_.Join();  // nothing dropped: what holds a connection on the other context goes now
  second.Join();
}

TEST_F(HttpClientTest, BalancesByLeastOutstanding) {
  FakeHttpServer a, b;
  a.SetDefault(Hanging());
  b.SetDefault(Hanging());
  ClientOptions options;
  options.endpoints = {a.url(), b.url()};
  MakeClient(options);
  std::vector<std::shared_ptr<RecordingHandler>> handlers;
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < 6; ++i) {
    handlers.push_back(std::make_shared<RecordingHandler>());
    calls.push_back(client_->Start(Post(), handlers.back()));
  }
  ASSERT_TRUE(a.WaitForRequests(3));
  ASSERT_TRUE(b.WaitForRequests(3));
  for (const EndpointStats& s : client_->Stats()) EXPECT_EQ(s.outstanding, 3u);
  // With endpoint a busier, the next request goes to b.
  calls[0]->Cancel();
  calls[1]->Cancel();
  calls[2]->Cancel();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(handlers[i]->Wait().code(), absl::StatusCode::kCancelled);
  auto stats = client_->Stats();
  const size_t busier = stats[0].outstanding > stats[1].outstanding ? 0 : 1;
  ASSERT_NE(stats[0].outstanding, stats[1].outstanding);
  auto h = std::make_shared<RecordingHandler>();
  calls.push_back(client_->Start(Post(), h));
  ASSERT_TRUE(h->WaitForBody(1));
  FakeHttpServer& quieter = busier == 0 ? b : a;
  EXPECT_EQ(quieter.request_count(), 4u);
  for (auto& c : calls) c->Cancel();
}

TEST_F(HttpClientTest, ConnectTimeout) {
  // A listening socket that never accepts: TCP connects (the kernel's backlog) but the TLS
  // handshake never gets an answer.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  ClientOptions options;
  options.endpoints = {"https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port())};
  options.timeouts.connect = 200ms;
  MakeClient(options);
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("connect timeout"));
}

// The first-byte timeout (200 ms) ends before the wait the exchange's timer had pending (the idle
// timeout, 60 s): the timer is armed again for it.
TEST_F(HttpClientTest, FirstByteTimeout) {
  FakeHttpServer server;
  FakeResponse slow = FakeResponse::Json(200, "{}");
  slow.head_delay = std::chrono::hours(1);
  server.Enqueue(slow);
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.first_byte = 200ms;
  MakeClient(options);
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("first byte timeout"));
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

// The timeouts share one timer, which waits at most the idle timeout (or a second) at a time,
// then checks them all: a response head slower than that, within the first-byte timeout, is
// waited for.
TEST_F(HttpClientTest, FirstByteSlowerThanTheIdleTimeoutIsWaitedFor) {
  FakeHttpServer server;
  FakeResponse slow = FakeResponse::Json(200, "{}");
  slow.head_delay = 1500ms;
  server.Enqueue(slow);
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.idle = 150ms;
  options.timeouts.first_byte = 5s;
  MakeClient(options);
  std::shared_ptr<RecordingHandler> h;
  const absl::Status status = Run(Post(), &h);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(h->body(), "{}");
}

TEST_F(HttpClientTest, IdleTimeout) {
  FakeHttpServer server;
  server.Enqueue(Hanging());
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.idle = 200ms;
  MakeClient(options);
  std::shared_ptr<RecordingHandler> h;
  const absl::Status status = Run(Post(), &h);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("idle timeout"));
  EXPECT_EQ(h->body(), "data: first\n\n");
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

// The idle timer is armed once per body and re-armed lazily: reads that keep coming within the
// idle timeout never trip it, however long the body takes.
TEST_F(HttpClientTest, SteadyBodyLongerThanTheIdleTimeout) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Sse(
      {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n", "data: 5\n\n", "data: 6\n\n"},
      80ms));
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.idle = 250ms;
  MakeClient(options);
  std::shared_ptr<RecordingHandler> h;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 350ms);
  EXPECT_EQ(h->body(), "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\n");
}

// The idle gap counts from the last read, not from when the timer was first armed.
TEST_F(HttpClientTest, IdleTimeoutCountsFromTheLastRead) {
  FakeHttpServer server;
  FakeResponse r = FakeResponse::Sse({"data: a\n\n"});
  r.chunks.emplace_back("data: b\n\n", 150ms);
  r.chunks.emplace_back("data: never\n\n", std::chrono::hours(1));
  server.Enqueue(r);
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.idle = 250ms;
  MakeClient(options);
  std::shared_ptr<RecordingHandler> h;
  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = Run(Post(), &h);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("idle timeout"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 390ms);
  EXPECT_EQ(h->body(), "data: a\n\ndata: b\n\n");
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

// Bodies larger than the initial read buffer arrive whole (the buffer grows and is handed over).
TEST_F(HttpClientTest, LargeBodyArrivesWhole) {
  FakeHttpServer server;
  std::string big;
  for (int i = 0; big.size() < 100'000; ++i) big += "data: " + std::to_string(i) + "\n\n";
  server.Enqueue(FakeResponse::Sse({big.substr(0, 50'000), big.substr(50'000)}));
  MakeClient(server.url());
  std::shared_ptr<RecordingHandler> h;
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_EQ(h->body(), big);
}

// A fast large body grows the connection's input buffer; what follows on the same kept-alive
// connection (Content-Length framing, then a stream dripping one byte at a time, then a large
// stream again) still arrives byte for byte.
TEST_F(HttpClientTest, GrownConnectionBufferServesTheNextResponsesExactly) {
  FakeHttpServer server;
  std::string big;
  for (int i = 0; big.size() < 200'000; ++i)
    big += "data: {\"token\":" + std::to_string(i) + "}\n\n";
  const std::string json =
      R"({"choices":[{"message":{"content":")" + std::string(40'000, 'x') + R"("}}]})";
  server.Enqueue(FakeResponse::Sse({big}));
  FakeResponse whole = FakeResponse::Json(200, json);
  whole.chunked = false;
  server.Enqueue(whole);
  FakeResponse drip = FakeResponse::Sse({"data: a\n\ndata: [DONE]\n\n"});
  drip.drip_interval = 1ms;
  server.Enqueue(drip);
  server.Enqueue(FakeResponse::Sse({big.substr(0, 70'000), big.substr(70'000)}));
  MakeClient(server.url());

  std::shared_ptr<RecordingHandler> h;
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_EQ(h->body(), big);
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_EQ(h->body(), json);
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_EQ(h->body(), "data: a\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(Run(Post(), &h).ok());
  EXPECT_EQ(h->body(), big);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST_F(HttpClientTest, TotalTimeout) {
  FakeHttpServer server;
  server.Enqueue(Hanging());
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.total = 300ms;
  MakeClient(options);
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("total timeout"));
}

TEST_F(HttpClientTest, RequestDeadline) {
  FakeHttpServer server;
  server.Enqueue(Hanging());
  MakeClient(server.url());
  Request r = Post();
  r.deadline = std::chrono::steady_clock::now() + 300ms;
  const absl::Status status = Run(r);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("deadline"));
  // A deadline already past fails without a request.
  r.deadline = std::chrono::steady_clock::now() - 1s;
  EXPECT_EQ(Run(r).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(HttpClientTest, CancelClosesTheUpstreamConnection) {
  FakeHttpServer server;
  server.Enqueue(Hanging());
  MakeClient(server.url());
  auto h = std::make_shared<RecordingHandler>();
  std::unique_ptr<Call> call = client_->Start(Post(), h);
  ASSERT_TRUE(h->WaitForBody(1));
  call->Cancel();
  call->Cancel();  // idempotent
  EXPECT_EQ(h->Wait().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(server.WaitForDisconnects(1));
  EXPECT_EQ(h->completions(), 1);
  EXPECT_EQ(client_->Stats()[0].open_connections, 0u);
  // The next request opens a new connection.
  ASSERT_TRUE(Run(Post()).ok());
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST_F(HttpClientTest, CancelAfterCompletionIsIgnored) {
  FakeHttpServer server;
  MakeClient(server.url());
  auto h = std::make_shared<RecordingHandler>();
  std::unique_ptr<Call> call = client_->Start(Post(), h);
  ASSERT_TRUE(h->Wait().ok());
  call->Cancel();
  ASSERT_TRUE(Run(Post()).ok());
  EXPECT_EQ(h->completions(), 1);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST_F(HttpClientTest, TruncatedBodyIsUnavailable) {
  FakeHttpServer server;
  FakeResponse truncated = FakeResponse::Json(200, R"({"partial":)");
  truncated.truncate_missing_bytes = 20;
  server.Enqueue(truncated);
  MakeClient(server.url());
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("closed before the response body ended"));
}

TEST_F(HttpClientTest, ResetMidStreamIsUnavailable) {
  FakeHttpServer server;
  FakeResponse reset = FakeResponse::Sse({"data: a\n\n", "data: b\n\n"});
  reset.reset_after_chunks = 1;
  server.Enqueue(reset);
  MakeClient(server.url());
  std::shared_ptr<RecordingHandler> h;
  const absl::Status status = Run(Post(), &h);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(h->heads(), 1);
}

TEST_F(HttpClientTest, ConnectionRefusedIsUnavailableAndKeepsSecretsOut) {
  uint16_t port;
  {
    FakeHttpServer gone;
    port = gone.port();
  }
  MakeClient("http://127.0.0.1:" + std::to_string(port));
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kSecret)));
}

TEST_F(HttpClientTest, NoStatusMessageCarriesAHeaderValue) {
  FakeHttpServer server;
  FakeResponse truncated = FakeResponse::Json(200, "{");
  truncated.truncate_missing_bytes = 5;
  server.Enqueue(truncated);
  FakeResponse slow = FakeResponse::Json(200, "{}");
  slow.head_delay = std::chrono::hours(1);
  server.Enqueue(slow);
  ClientOptions options;
  options.endpoints = {server.url()};
  options.timeouts.first_byte = 200ms;
  MakeClient(options);
  std::vector<absl::Status> statuses;
  statuses.push_back(Run(Post()));
  statuses.push_back(Run(Post()));
  auto h = std::make_shared<RecordingHandler>();
  client_->Start(Post(), h)->Cancel();
  statuses.push_back(h->Wait());
  for (const absl::Status& s : statuses) {
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(s.ToString(), Not(HasSubstr(kSecret)));
    EXPECT_THAT(s.ToString(), Not(HasSubstr("Bearer")));
  }
}

TEST(HttpClientCreateTest, RejectsBadEndpointsByPosition) {
  boost::asio::io_context io;
  ClientOptions options;
  options.endpoints = {"http://ok:80", "ftp://x"};
  absl::Status s = Client::Create(options, io).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("endpoints[1]"));
  options.endpoints = {"http://:80"};
  EXPECT_THAT(Client::Create(options, io).status().message(), HasSubstr("endpoints[0]"));
  options.endpoints = {"http://h:99999"};
  EXPECT_THAT(Client::Create(options, io).status().message(), HasSubstr("port"));
  options.endpoints = {};
  EXPECT_EQ(Client::Create(options, io).status().code(), absl::StatusCode::kInvalidArgument);
  options.endpoints = {"https://h"};
  options.ca_file = "/nonexistent/ca.pem";
  s = Client::Create(options, io).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("ca_file"));
}

// ---- TLS ----

// Circuit breaking: an endpoint that keeps failing is left alone while open; the healthy one
// takes the traffic; with no healthy endpoint, a request fails at once without being sent.
TEST_F(HttpClientTest, AFailingEndpointsBreakerOpensAndTheOtherTakesTheTraffic) {
  FakeHttpServer bad, good;
  bad.SetDefault(FakeResponse::Json(503, R"({"error":"overloaded"})"));
  good.SetDefault(FakeResponse::Json(200, "{}"));
  ClientOptions options;
  options.endpoints = {bad.url(), good.url()};
  options.circuit_breaker.consecutive_failures = 3;
  options.circuit_breaker.open_for = std::chrono::hours(1);
  std::vector<std::pair<std::string, CircuitState>> changes;
  std::mutex mu;
  options.on_circuit_state = [&](const std::string& endpoint, CircuitState state) {
    std::lock_guard<std::mutex> lock(mu);
    changes.emplace_back(endpoint, state);
  };
  MakeClient(options);
  // Sequential requests alternate between the two (both idle: ties rotate) until the bad one has
  // failed three times in a row.
  for (int i = 0; i < 6; ++i) (void)Run(Post());
  EXPECT_EQ(bad.request_count(), 3u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Run(Post()).ok());
  EXPECT_EQ(bad.request_count(), 3u) << "an open breaker's endpoint got traffic";
  EXPECT_EQ(good.request_count(), 13u);
  const std::vector<EndpointStats> stats = client_->Stats();
  EXPECT_EQ(stats[0].circuit, CircuitState::kOpen);
  EXPECT_EQ(stats[1].circuit, CircuitState::kClosed);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(changes.size(), 3u);  // both closed at creation, then the bad one opened
  EXPECT_EQ(changes[2], std::make_pair(bad.url(), CircuitState::kOpen));
}

TEST_F(HttpClientTest, WithEveryBreakerOpenARequestFailsWithoutBeingSentThenAProbeGoes) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(500, "{}"));
  ClientOptions options;
  options.endpoints = {server.url()};
  options.circuit_breaker.consecutive_failures = 2;
  options.circuit_breaker.open_for = std::chrono::milliseconds(300);
  MakeClient(options);
  EXPECT_TRUE(Run(Post()).ok());  // a 500 is a complete exchange for the caller...
  EXPECT_TRUE(Run(Post()).ok());  // ...and a failure for the breaker
  const absl::Status refused = Run(Post());
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("circuit breaker open for every endpoint"));
  EXPECT_THAT(refused.message(), HasSubstr(server.url()));
  EXPECT_EQ(server.request_count(), 2u);
  // Once open_for has passed, one probe reaches the server; it succeeds and closes the breaker.
  server.SetDefault(FakeResponse::Json(200, "{}"));
  absl::Status probe = absl::UnavailableError("not yet");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!probe.ok() && std::chrono::steady_clock::now() < give_up) {
    probe = Run(Post());
    if (!probe.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(probe.ok()) << probe;
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(client_->Stats()[0].circuit, CircuitState::kClosed);
}

TEST_F(HttpClientTest, CancelledRequestsAndRateLimitsDoNotOpenTheBreaker) {
  FakeHttpServer server;
  server.SetDefault(FakeResponse::Json(429, R"({"error":"slow down"})"));
  ClientOptions options;
  options.endpoints = {server.url()};
  options.circuit_breaker.consecutive_failures = 2;
  MakeClient(options);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Run(Post()).ok());
  EXPECT_EQ(client_->Stats()[0].circuit, CircuitState::kClosed);
  server.SetDefault(Hanging());
  for (int i = 0; i < 3; ++i) {
    auto handler = std::make_shared<RecordingHandler>();
    std::unique_ptr<Call> call = client_->Start(Post(), handler);
    ASSERT_TRUE(server.WaitForRequests(6 + i));
    call->Cancel();
    EXPECT_EQ(handler->Wait().code(), absl::StatusCode::kCancelled);
  }
  EXPECT_EQ(client_->Stats()[0].circuit, CircuitState::kClosed);
}

class HttpClientTlsTest : public HttpClientTest {
 protected:
  std::string WriteCa(const std::string& pem) {
    const std::string path = ::testing::TempDir() + "/ptc_http_test_ca_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                             std::to_string(::getpid()) + ".pem";
    std::ofstream(path) << pem;
    return path;
  }
};

TEST_F(HttpClientTlsTest, VerifiedConnectionWithTestCa) {
  const fakes::TestPki pki = fakes::MakeTestPki("localhost");
  FakeHttpServer server(FakeHttpServerOptions{pki.server_cert_pem, pki.server_key_pem});
  server.Enqueue(FakeResponse::Sse({"data: secure\n\n"}));
  ClientOptions options;
  options.endpoints = {"https://localhost:" + std::to_string(server.port()) + "/v1"};
  options.ca_file = WriteCa(pki.ca_cert_pem);
  MakeClient(options);
  std::shared_ptr<RecordingHandler> h;
  ASSERT_TRUE(Run(Post("/x"), &h).ok()) << h->body();
  EXPECT_EQ(h->body(), "data: secure\n\n");
  ASSERT_TRUE(Run(Post("/y")).ok());
  EXPECT_EQ(server.connections_accepted(), 1u);  // keep-alive over TLS too
  EXPECT_EQ(server.requests()[1].target, "/v1/y");
}

TEST_F(HttpClientTlsTest, WrongHostNameFailsVerification) {
  const fakes::TestPki pki = fakes::MakeTestPki("api.example.com", /*with_loopback_ip=*/false);
  FakeHttpServer server(FakeHttpServerOptions{pki.server_cert_pem, pki.server_key_pem});
  ClientOptions options;
  options.endpoints = {"https://localhost:" + std::to_string(server.port())};
  options.ca_file = WriteCa(pki.ca_cert_pem);
  MakeClient(options);
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("certificate verification failed"));
  EXPECT_THAT(status.message(), HasSubstr("host name"));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(HttpClientTlsTest, UnknownCaFailsVerification) {
  const fakes::TestPki pki = fakes::MakeTestPki("localhost");
  FakeHttpServer server(FakeHttpServerOptions{pki.server_cert_pem, pki.server_key_pem});
  MakeClient("https://localhost:" + std::to_string(server.port()));  // the system store
  const absl::Status status = Run(Post());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("certificate verification failed"));
  EXPECT_THAT(status.message(), HasSubstr("issuer"));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(HttpClientTlsTest, VerificationOffAcceptsAnyCertificate) {
  const fakes::TestPki pki = fakes::MakeTestPki("api.example.com", false);
  FakeHttpServer server(FakeHttpServerOptions{pki.server_cert_pem, pki.server_key_pem});
  ClientOptions options;
  options.endpoints = {server.url()};
  options.verify_peer = false;
  MakeClient(options);
  EXPECT_TRUE(Run(Post()).ok());
  EXPECT_EQ(server.request_count(), 1u);
}

}  // namespace
}  // namespace ptc::http
