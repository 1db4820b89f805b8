// ptc-simulator's server: an OpenAI-compatible HTTP endpoint answered by the simulated model
// (SimModel), so that the real HTTP path of an OpenAI-compatible backend can be exercised
// without a GPU.
//
//   POST /v1/chat/completions (and /chat/completions): CreateChatCompletionRequest in,
//        CreateChatCompletionResponse or a text/event-stream of CreateChatCompletionStreamResponse
//        out, after the simulated latency (time to first token, then tokens at the configured
//        rate, as the embedded sim backend streams them).
//   GET  /v1/models: the configured default model.
//   GET  /health: "ok".
//
// Asio-based and asynchronous: one acceptor, one session per connection, `threads` threads
// running the io_context.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "ptc/v1/backends/sim.pb.h"
#include "samplers/sim/sim_model.h"
#include "samplers/sim/simulator/session_registry.h"

namespace ptc::sim {

class SimulatorServer {
 public:
  // listen: "HOST:PORT" ("127.0.0.1:0" picks a free port; "[::1]:8000" for IPv6).
  static absl::StatusOr<std::unique_ptr<SimulatorServer>> Start(const v1::SimBackendConfig& config,
                                                                const std::string& listen,
                                                                int threads);
  ~SimulatorServer();

  SimulatorServer(const SimulatorServer&) = delete;
  SimulatorServer& operator=(const SimulatorServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return address_; }  // "HOST:PORT" as bound
  const SimModel& model() const { return *model_; }
  size_t connections() const { return sessions_->size(); }  // open HTTP connections

  // Stops accepting, drops open connections and joins the threads. Idempotent.
  void Stop();

 private:
  explicit SimulatorServer(std::shared_ptr<const SimModel> model);
  void Accept();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::shared_ptr<const SimModel> model_;
  std::shared_ptr<SessionRegistry> sessions_;
  int64_t created_ = 0;
  int port_ = 0;
  std::string address_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace ptc::sim
