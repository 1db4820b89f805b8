#include "tests/fakes/fake_http_server.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "boost/asio/as_tuple.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"

namespace ptc::fakes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "FakeHttpServer: %s\n", what.c_str());
  std::abort();
}

}  // namespace

FakeResponse FakeResponse::Sse(std::vector<std::string> chunks,
                               std::chrono::milliseconds delay_between) {
  FakeResponse r;
  r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  for (size_t i = 0; i < chunks.size(); ++i) {
    r.chunks.push_back(
        {std::move(chunks[i]), i == 0 ? std::chrono::milliseconds(0) : delay_between});
  }
  return r;
}

FakeResponse FakeResponse::Json(int status, std::string body) {
  return Text(status, "application/json", std::move(body));
}

FakeResponse FakeResponse::Text(int status, std::string content_type, std::string body) {
  FakeResponse r;
  r.status = status;
  r.chunked = false;
  r.headers = {{"Content-Type", std::move(content_type)}};
  r.chunks.push_back({std::move(body), {}, ""});
  return r;
}

FakeResponse& FakeResponse::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string FakeResponse::Body() const {
  std::string out;
  for (const FakeChunk& c : chunks) out += c.bytes;
  return out;
}

std::string RecordedRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

struct FakeHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> tls;
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<FakeResponse> queue;
  std::optional<FakeResponse> default_response;
  Handler handler;
  std::vector<RecordedRequest> requests;
  size_t cleared_requests = 0;  // dropped by ClearRequests, still counted
  size_t connections = 0;
  size_t disconnects = 0;
  std::set<std::string> open_gates;

  bool GateOpen(const std::string& gate) {
    std::lock_guard<std::mutex> lock(mu);
    return open_gates.count(gate) > 0;
  }

  FakeResponse Next(const RecordedRequest& request) {
    Handler h;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!queue.empty()) {
        FakeResponse r = std::move(queue.front());
        queue.pop_front();
        return r;
      }
      if (!handler && default_response) return *default_response;
      h = handler;
    }
    if (h) return h(request);  // outside the lock: the handler may call the server
    return FakeResponse::Json(200, "{}");
  }

  void Bump(size_t& counter) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++counter;
    }
    cv.notify_all();
  }
};

namespace {

// One connection's state shared by its reader and its response writer (both on the server's
// single thread).
template <class Stream>
struct Conn {
  explicit Conn(Stream s) : stream(std::move(s)), timer(stream.get_executor()) {}
  Stream stream;
  asio::steady_timer timer;
  bool peer_closed = false;
  bool server_closed = false;

  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream;
    } else {
      return stream.next_layer();
    }
  }
  void Close(bool reset) {
    if (server_closed) return;
    server_closed = true;
    boost::system::error_code ec;
    if (reset) socket().set_option(tcp::socket::linger(true, 0), ec);
    socket().close(ec);
    timer.cancel();
  }
};

template <class Stream>
asio::awaitable<bool> Sleep(std::shared_ptr<Conn<Stream>> c, std::chrono::milliseconds d) {
  if (d.count() > 0) {
    c->timer.expires_after(d);
    co_await c->timer.async_wait(kTuple);
  }
  co_return !c->peer_closed && !c->server_closed;
}

template <class Stream>
asio::awaitable<bool> Write(std::shared_ptr<Conn<Stream>> c, std::string bytes) {
  auto [ec, n] = co_await asio::async_write(c->stream, asio::buffer(bytes), kTuple);
  (void)n;
  co_return !ec && !c->peer_closed && !c->server_closed;
}

template <class Stream>
asio::awaitable<void> Respond(FakeHttpServer::Impl* impl, std::shared_ptr<Conn<Stream>> c,
                              FakeResponse r) {
  if (r.close_before_head) {
    c->Close(false);
    co_return;
  }
  if (!co_await Sleep(c, r.head_delay)) co_return;
  std::vector<FakeChunk> chunks = r.chunks;
  if (r.drip_interval) {
    const std::string body = r.Body();
    chunks.clear();
    for (char ch : body) chunks.push_back({std::string(1, ch), *r.drip_interval, ""});
  }
  const bool chunked = r.chunked && r.truncate_missing_bytes == 0;
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else {
    head +=
        "Content-Length: " + std::to_string(r.Body().size() + r.truncate_missing_bytes) + "\r\n";
  }
  if (!r.keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  if (!co_await Write(c, std::move(head))) co_return;
  size_t sent = 0;
  for (const FakeChunk& chunk : chunks) {
    if (r.reset_after_chunks && sent == *r.reset_after_chunks) {
      c->Close(true);
      co_return;
    }
    if (!co_await Sleep(c, chunk.delay)) co_return;
    while (!chunk.gate.empty() && !impl->GateOpen(chunk.gate)) {
      if (!co_await Sleep(c, std::chrono::milliseconds(5))) co_return;
    }
    if (chunk.bytes.empty()) continue;  // an empty chunk would end a chunked body
    std::string bytes = chunk.bytes;
    if (chunked) {
      char size[32];
      std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
      bytes = size + bytes + "\r\n";
    }
    if (!co_await Write(c, std::move(bytes))) co_return;
    ++sent;
  }
  if (r.reset_after_chunks && sent == *r.reset_after_chunks) {
    c->Close(true);
    co_return;
  }
  if (r.truncate_missing_bytes > 0) {
    c->Close(false);
    co_return;
  }
  if (chunked && !co_await Write(c, "0\r\n\r\n")) co_return;
  if (!r.keep_alive) c->Close(false);
}

template <class Stream>
asio::awaitable<void> Serve(FakeHttpServer::Impl* impl, std::shared_ptr<Conn<Stream>> c,
                            uint64_t id) {
  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    auto [ec] = co_await c->stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) co_return;  // e.g. the client rejected the certificate
  }
  beast::flat_buffer buffer;
  for (;;) {
    beast::http::request<beast::http::string_body> req;
    auto [ec, n] = co_await beast::http::async_read(c->stream, buffer, req, kTuple);
    (void)n;
    if (ec) {
      if (!c->server_closed) {
        // The client closed its end (or reset it), possibly in the middle of a response.
        c->peer_closed = true;
        c->timer.cancel();
        impl->Bump(impl->disconnects);
        boost::system::error_code ignored;
        c->socket().close(ignored);
      }
      co_return;
    }
    RecordedRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    for (const auto& field : req) {
      rec.headers.emplace_back(Lower(std::string(field.name_string())), std::string(field.value()));
    }
    rec.body = req.body();
    rec.connection = id;
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      impl->requests.push_back(rec);
    }
    impl->cv.notify_all();
    FakeResponse r = impl->Next(rec);
    // The writer runs beside this reader so that a client closing mid-response is seen at once.
    asio::co_spawn(c->stream.get_executor(), Respond(impl, c, std::move(r)), asio::detached);
  }
}

asio::awaitable<void> Accept(FakeHttpServer::Impl* impl) {
  uint64_t next_id = 0;
  for (;;) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(kTuple);
    if (ec) co_return;  // closed at shutdown
    impl->Bump(impl->connections);
    socket.set_option(tcp::no_delay(true));
    const uint64_t id = ++next_id;
    if (impl->tls) {
      using TlsStream = asio::ssl::stream<tcp::socket>;
      auto c = std::make_shared<Conn<TlsStream>>(TlsStream(std::move(socket), *impl->tls));
      asio::co_spawn(impl->io, Serve(impl, c, id), asio::detached);
    } else {
      auto c = std::make_shared<Conn<tcp::socket>>(std::move(socket));
      asio::co_spawn(impl->io, Serve(impl, c, id), asio::detached);
    }
  }
}

}  // namespace

FakeHttpServer::FakeHttpServer(FakeHttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  boost::system::error_code ec;
  if (!options.tls_cert_pem.empty() && !options.tls_key_pem.empty()) {
    tls_ = true;
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain(asio::buffer(options.tls_cert_pem), ec);
    if (ec) Die("bad certificate: " + ec.message());
    impl_->tls->use_private_key(asio::buffer(options.tls_key_pem), asio::ssl::context::pem, ec);
    if (ec) Die("bad key: " + ec.message());
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) Die("cannot listen: " + ec.message());
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, Accept(impl_.get()), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeHttpServer::~FakeHttpServer() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string FakeHttpServer::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void FakeHttpServer::Enqueue(FakeResponse response) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->queue.push_back(std::move(response));
}

void FakeHttpServer::SetDefault(FakeResponse response) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->default_response = std::move(response);
}

void FakeHttpServer::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->handler = std::move(handler);
}

void FakeHttpServer::OpenGate(const std::string& gate) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->open_gates.insert(gate);
}

std::vector<RecordedRequest> FakeHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

size_t FakeHttpServer::request_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->cleared_requests + impl_->requests.size();
}

void FakeHttpServer::ClearRequests() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->cleared_requests += impl_->requests.size();
  impl_->requests.clear();
  impl_->requests.shrink_to_fit();
}

size_t FakeHttpServer::connections_accepted() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

size_t FakeHttpServer::client_disconnects() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->disconnects;
}

bool FakeHttpServer::WaitFor(std::function<bool()> done, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, done);
}

bool FakeHttpServer::WaitForRequests(size_t n, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return impl_->cleared_requests + impl_->requests.size() >= n; }, timeout);
}

bool FakeHttpServer::WaitForDisconnects(size_t n, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return impl_->disconnects >= n; }, timeout);
}

bool FakeHttpServer::WaitForConnections(size_t n, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return impl_->connections >= n; }, timeout);
}

}  // namespace ptc::fakes
