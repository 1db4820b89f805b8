#include "tests/fakes/fake_http_server.h"

#include <string>

#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace ptc::fakes {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// A blocking client on the test thread (the server runs on its own thread).
struct TestClient {
  explicit TestClient(uint16_t port) : socket(io) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  http::response<http::string_body> Get(const std::string& target, boost::system::error_code& ec) {
    http::request<http::string_body> req(http::verb::post, target, 11);
    req.set(http::field::host, "localhost");
    req.set("X-Api-Key", "secret");
    req.body() = "hello";
    req.prepare_payload();
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res, ec);
    return res;
  }
  asio::io_context io;
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

TEST(FakeHttpServerTest, RecordsRequestsAndServesScriptInOrder) {
  FakeHttpServer server;
  server.Enqueue(
      FakeResponse::Json(429, R"({"error":"slow down"})").WithHeader("Retry-After", "1"));
  server.Enqueue(FakeResponse::Sse({"data: a\n\n", "data: b\n\n"}));
  TestClient client(server.port());
  boost::system::error_code ec;
  auto first = client.Get("/v1/x", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(first.result_int(), 429);
  EXPECT_EQ(first["Retry-After"], "1");
  EXPECT_EQ(first.body(), R"({"error":"slow down"})");
  auto second = client.Get("/v1/y", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(second.body(), "data: a\n\ndata: b\n\n");
  EXPECT_TRUE(second.chunked());
  auto third = client.Get("/v1/z", ec);  // the default
  EXPECT_EQ(third.body(), "{}");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/x");
  EXPECT_EQ(requests[0].Header("x-api-key"), "secret");
  EXPECT_EQ(requests[0].body, "hello");
  EXPECT_EQ(requests[2].connection, 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(FakeHttpServerTest, CountsClientDisconnectMidResponse) {
  FakeHttpServer server;
  server.Enqueue(FakeResponse::Sse({"data: a\n\n", "data: b\n\n"}, std::chrono::hours(1)));
  TestClient client(server.port());
  http::request<http::string_body> req(http::verb::get, "/", 11);
  http::write(client.socket, req);
  ASSERT_TRUE(server.WaitForRequests(1));
  client.socket.close();
  EXPECT_TRUE(server.WaitForDisconnects(1));
}

TEST(FakeHttpServerTest, TruncatedBodyAndReset) {
  FakeHttpServer server;
  FakeResponse truncated = FakeResponse::Json(200, "{\"a\":");
  truncated.truncate_missing_bytes = 10;
  server.Enqueue(truncated);
  {
    TestClient client(server.port());
    boost::system::error_code ec;
    client.Get("/", ec);
    EXPECT_EQ(ec, http::error::partial_message) << ec.message();
  }
  FakeResponse reset = FakeResponse::Sse({"data: a\n\n", "data: b\n\n"});
  reset.reset_after_chunks = 1;
  server.Enqueue(reset);
  {
    TestClient client(server.port());
    boost::system::error_code ec;
    client.Get("/", ec);
    EXPECT_TRUE(ec);
  }
  FakeResponse closed;
  closed.close_before_head = true;
  server.Enqueue(closed);
  {
    TestClient client(server.port());
    boost::system::error_code ec;
    client.Get("/", ec);
    EXPECT_TRUE(ec);
  }
  // Closes made by the server are not client disconnects.
  EXPECT_EQ(server.client_disconnects(), 0u);
}

}  // namespace
}  // namespace ptc::fakes
