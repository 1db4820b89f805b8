#include "bench/fake_backend/fake_backend_server.h"

#include <algorithm>
#include <chrono>

#include "bench/fake_backend/fake_session.h"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"

namespace ptc::fake {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::StatusOr<tcp::endpoint> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("listen address \"" + listen + "\" is not HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return absl::InvalidArgumentError("listen address \"" + listen + "\" has no valid port");
  }
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError("listen address \"" + listen + "\": not an IP address");
  }
  return tcp::endpoint(address, static_cast<unsigned short>(std::stoi(port)));
}

}  // namespace

FakeBackendStats FakeBackendState::Snapshot() const {
  FakeBackendStats s;
  s.requests = requests.load(std::memory_order_relaxed);
  s.completions = completions.load(std::memory_order_relaxed);
  s.open_streams = open_streams.load(std::memory_order_relaxed);
  s.connections = connections.load(std::memory_order_relaxed);
  return s;
}

absl::StatusOr<std::unique_ptr<FakeBackendServer>> FakeBackendServer::Start(
    FakeBackendOptions options) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseListen(options.listen);
  if (!endpoint.ok()) return endpoint.status();
  std::unique_ptr<FakeBackendServer> server(new FakeBackendServer());
  const int threads = std::max(options.threads, 1);
  server->io_ = std::make_unique<net::io_context>(threads);
  server->acceptor_ = std::make_unique<tcp::acceptor>(*server->io_);
  server->retry_ = std::make_unique<net::steady_timer>(*server->io_);
  server->state_ = std::make_shared<FakeBackendState>();
  server->state_->profile = std::move(options.profile);
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    return absl::UnavailableError(std::string("cannot ") + what + " " + options.listen + ": " +
                                  ec.message());
  };
  tcp::acceptor& acceptor = *server->acceptor_;
  if (acceptor.open(endpoint->protocol(), ec)) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec)) return fail("configure");
  if (acceptor.bind(*endpoint, ec)) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec)) return fail("listen on");
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("inspect");
  server->port_ = bound.port();
  const std::string ip = bound.address().to_string();
  server->address_ =
      (bound.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(server->port_);
  server->Accept();
  for (int i = 0; i < threads; ++i) {
    server->threads_.emplace_back([io = server->io_.get()] { io->run(); });
  }
  return server;
}

FakeBackendServer::~FakeBackendServer() { Stop(); }

void FakeBackendServer::Accept() {
  acceptor_->async_accept(
      net::make_strand(*io_), [this](boost::system::error_code ec, tcp::socket socket) {
        if (!acceptor_->is_open()) return;
        if (ec) {  // out of descriptors, say: try again shortly rather than spin
          retry_->expires_after(std::chrono::milliseconds(20));
          retry_->async_wait([this](boost::system::error_code wait_ec) {
            if (!wait_ec) Accept();
          });
          return;
        }
        boost::system::error_code nodelay_ec;
        socket.set_option(tcp::no_delay(true), nodelay_ec);
        StartFakeSession(std::move(socket), state_);
        Accept();
      });
}

void FakeBackendServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  io_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Destroying the io_context destroys the pending handlers, hence the sessions and their sockets.
  boost::system::error_code ec;
  acceptor_->close(ec);
  acceptor_.reset();
  retry_.reset();
  io_.reset();
}

}  // namespace ptc::fake
