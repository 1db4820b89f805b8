#include "samplers/sim/simulator/simulator_server.h"

#include <chrono>
#include <ctime>

#include "boost/asio/strand.hpp"
#include "common/status_macros.h"
#include "samplers/sim/simulator/http_session.h"

namespace ptc::sim {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::StatusOr<tcp::endpoint> ResolveListen(net::io_context& io, const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("listen address \"" + listen + "\" is not HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return absl::InvalidArgumentError("listen address \"" + listen + "\" has no valid port");
  }
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError("cannot resolve listen address \"" + listen +
                                      "\": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

SimulatorServer::SimulatorServer(std::shared_ptr<const SimModel> model)
    : acceptor_(io_),
      retry_(io_),
      model_(std::move(model)),
      sessions_(std::make_shared<SessionRegistry>()),
      created_(std::time(nullptr)) {}

absl::StatusOr<std::unique_ptr<SimulatorServer>> SimulatorServer::Start(
    const v1::SimBackendConfig& config, const std::string& listen, int threads) {
  ASSIGN_OR_RETURN(std::shared_ptr<const SimModel> model, SimModel::Create(config));
  std::unique_ptr<SimulatorServer> server(new SimulatorServer(std::move(model)));
  ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListen(server->io_, listen));
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    return absl::UnavailableError(std::string("cannot ") + what + " " + listen + ": " +
                                  ec.message());
  };
  if (server->acceptor_.open(endpoint.protocol(), ec)) return fail("open");
  if (server->acceptor_.set_option(net::socket_base::reuse_address(true), ec)) {
    return fail("configure");
  }
  if (server->acceptor_.bind(endpoint, ec)) return fail("bind");
  if (server->acceptor_.listen(net::socket_base::max_listen_connections, ec)) {
    return fail("listen on");
  }
  const tcp::endpoint bound = server->acceptor_.local_endpoint(ec);
  if (ec) return fail("inspect");
  server->port_ = bound.port();
  const std::string ip = bound.address().to_string();
  server->address_ =
      (bound.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(server->port_);
  server->Accept();
  for (int i = 0; i < std::max(threads, 1); ++i) {
    server->threads_.emplace_back([io = &server->io_] { io->run(); });
  }
  return server;
}

SimulatorServer::~SimulatorServer() { Stop(); }

void SimulatorServer::Accept() {
  acceptor_.async_accept(net::make_strand(io_),
                         [this](boost::system::error_code ec, tcp::socket socket) {
                           if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
                           if (ec) {  // out of descriptors, say: try again shortly rather than spin
                             retry_.expires_after(std::chrono::milliseconds(50));
                             retry_.async_wait([this](boost::system::error_code wait_ec) {
                               if (!wait_ec) Accept();
                             });
                             return;
                           }
                           boost::system::error_code nodelay_ec;
                           socket.set_option(tcp::no_delay(true), nodelay_ec);
                           StartHttpSession(std::move(socket), model_, created_, sessions_);
                           Accept();
                         });
}

void SimulatorServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  io_.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Nothing runs now: close everything, then let the aborted operations finish so that every
  // session ends (whatever is left would be destroyed with io_).
  boost::system::error_code ec;
  acceptor_.close(ec);
  retry_.cancel();
  sessions_->CloseAll();
  io_.restart();
  io_.run_for(std::chrono::seconds(5));
}

}  // namespace ptc::sim
