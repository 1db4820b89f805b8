// A fast fake OpenAI-compatible model server for benchmarks and tests (`ptc-fake-backend`).
//
//   POST /v1/chat/completions (and /chat/completions): canned answers shaped like OpenAI's, as one
//        chat.completion body or as a text/event-stream of chat.completion.chunk events ending
//        with "data: [DONE]", paced by a FakeProfile (fake_completion.h): the first token after
//        ttft_ms, then one token every gap_ms; the whole body after the last token's time when
//        not streamed. The request's model name may override the profile
//        ("fake:ttft_ms=0:gap_ms=500:tokens=60").
//   GET  /health: "ok".   GET /stats: {"requests","completions","open_streams","connections"}.
//
// Built for throughput: Asio with one strand per connection, requests parsed by Beast, responses
// written as prepared bytes (one write when nothing waits), keep-alive, no per-request timers
// unless the profile asks for latency. It does not watch idle connections or time out clients.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/fake_backend/fake_completion.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"

namespace ptc::fake {

struct FakeBackendOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free one
  int threads = 1;                     // threads running the server
  FakeProfile profile;                 // unless the model name overrides it
};

struct FakeBackendStats {
  uint64_t requests = 0;     // HTTP requests read
  uint64_t completions = 0;  // chat completions answered (or being answered)
  int64_t open_streams = 0;  // streamed completions in progress
  int64_t connections = 0;   // open connections
};

// Shared by the server and its sessions.
struct FakeBackendState {
  FakeProfile profile;
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> completions{0};
  std::atomic<int64_t> open_streams{0};
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> next_id{0};
  FakeBackendStats Snapshot() const;
};

class FakeBackendServer {
 public:
  // UNAVAILABLE when it cannot listen; INVALID_ARGUMENT for a malformed address.
  static absl::StatusOr<std::unique_ptr<FakeBackendServer>> Start(FakeBackendOptions options);
  ~FakeBackendServer();
  FakeBackendServer(const FakeBackendServer&) = delete;
  FakeBackendServer& operator=(const FakeBackendServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return address_; }  // "HOST:PORT" as bound
  std::string base_url() const { return "http://" + address_ + "/v1"; }
  FakeBackendStats stats() const { return state_->Snapshot(); }

  // Stops the threads and drops every connection. Idempotent; blocks.
  void Stop();

 private:
  FakeBackendServer() = default;
  void Accept();

  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::steady_timer> retry_;  // accepting again after an error
  std::shared_ptr<FakeBackendState> state_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::string address_;
  bool stopped_ = false;
};

}  // namespace ptc::fake
