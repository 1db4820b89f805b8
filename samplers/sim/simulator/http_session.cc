#include "samplers/sim/simulator/http_session.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include "boost/asio/dispatch.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "samplers/sim/simulator/completion_run.h"
#include "samplers/sim/simulator/openai_json.h"

namespace ptc::sim {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kIdleTimeout = std::chrono::seconds(300);  // to read a whole request
constexpr auto kWriteTimeout = std::chrono::seconds(60);  // per write: a client that stopped
                                                          // reading is dropped
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr uint64_t kMaxLingerBytes = 64 << 20;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

Clock::duration Seconds(double s) {
  return std::chrono::ceil<Clock::duration>(std::chrono::duration<double>(s));
}

uint64_t SessionSeed() {
  static std::atomic<uint64_t> counter{0};
  return MixSeed(static_cast<uint64_t>(Clock::now().time_since_epoch().count()),
                 counter.fetch_add(1) ^ static_cast<uint64_t>(std::time(nullptr)));
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const SimModel> model, int64_t created,
          std::shared_ptr<SessionRegistry> registry)
      : stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        model_(std::move(model)),
        created_(created),
        rng_(SessionSeed()),
        registry_(std::move(registry)),
        registry_id_(registry_->Add([this] { Close(); })) {}
  ~Session() { registry_->Remove(registry_id_); }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

 private:
  // --- Reading requests ---

  void ReadHeader() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(kMaxRequestBodyBytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(kIdleTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    if (parser_->is_done()) return OnRequest({}, 0);
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      stream_.expires_after(kWriteTimeout);
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRequest, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    keep_alive_ = false;
    if (ec == http::error::body_limit) {
      return SendError(http::status::payload_too_large,
                       "The request body is larger than the limit of 1048576 bytes.",
                       "invalid_request_error", "", "request_too_large");
    }
    if (ec == http::error::header_limit) {
      return SendError(http::status::request_header_fields_too_large,
                       "The request headers are too large.", "invalid_request_error");
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return SendError(http::status::bad_request, "Malformed HTTP request: " + ec.message(),
                       "invalid_request_error");
    }
    Close();  // end of stream, timeout, reset
  }

  void OnRequest(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> req = parser_->release();
    parser_.reset();
    std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const http::verb method = req.method();
    if (path == "/v1/chat/completions" || path == "/chat/completions") {
      if (method != http::verb::post) return MethodNotAllowed("POST");
      return HandleCompletion(req.body());
    }
    if (path == "/v1/models" || path == "/models") {
      if (method != http::verb::get) return MethodNotAllowed("GET");
      return Send(http::status::ok, "application/json",
                  ModelsBody(model_->config().default_model(), created_));
    }
    if (path == "/health") {
      if (method != http::verb::get) return MethodNotAllowed("GET");
      return Send(http::status::ok, "text/plain", "ok");
    }
    SendError(http::status::not_found, "Unknown request URL: " + std::string(path) + ".",
              "invalid_request_error", "", "unknown_url");
  }

  // --- Plain responses ---

  void MethodNotAllowed(const char* allow) {
    SendError(http::status::method_not_allowed,
              std::string("Method not allowed; use ") + allow + ".", "invalid_request_error", "",
              "method_not_allowed", allow);
  }

  void SendError(http::status status, const std::string& message, const char* type,
                 const std::string& param = "", const char* code = "", const char* allow = "") {
    Send(status, "application/json", ErrorBody(message, type, param, code), allow);
  }

  void Send(http::status status, const char* content_type, std::string body,
            const char* allow = "") {
    auto res = std::make_shared<http::response<http::string_body>>(status, version_);
    res->set(http::field::server, "ptc-simulator");
    res->set(http::field::content_type, content_type);
    if (*allow) res->set(http::field::allow, allow);
    res->keep_alive(keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->AfterResponse();
                      });
  }

  void AfterResponse() {
    if (keep_alive_) return ReadHeader();
    // Half-close, then drain what the client still sends (say, the rest of a body too large to
    // read) so that closing does not reset the connection before it has read the answer.
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTimeout);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxLingerBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    run_.reset();
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  // --- Completions ---

  void HandleCompletion(const std::string& body) {
    std::string param;
    absl::StatusOr<ChatRequest> req = ParseChatRequest(body, &param);
    if (!req.ok()) {
      return SendError(http::status::bad_request, std::string(req.status().message()),
                       "invalid_request_error", param);
    }
    CompletionHeader header;
    header.id = "chatcmpl-" + RandomId();
    header.created = std::time(nullptr);
    header.model = req->model.empty() ? model_->config().default_model() : req->model;
    run_.emplace(*model_, *std::move(req), std::move(header), rng_());
    start_ = Clock::now();
    WatchPeer();
    if (std::optional<double> fail = run_->failure_after_s()) {
      return WaitThen(*fail, [this] {
        EndResponse();
        SendError(http::status::internal_server_error, "Simulated backend failure.",
                  "server_error");
      });
    }
    if (!run_->request().stream) {
      return WaitThen(run_->latency_s(), [this] {
        std::string body = run_->ResponseBody();
        EndResponse();
        Send(http::status::ok, "application/json", std::move(body));
      });
    }
    StartStream();
  }

  // Runs `then` on the strand `seconds` after the request started, unless the session closed.
  template <typename F>
  void WaitThen(double seconds, F then) {
    timer_.expires_at(start_ + Seconds(seconds));
    timer_.async_wait([self = shared_from_this(), then](beast::error_code) {
      if (!self->closed_) then();
    });
  }

  void StartStream() {
    chunked_ = version_ >= 11;
    if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the end of the body is the end of the stream
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
    res->set(http::field::server, "ptc-simulator");
    res->set(http::field::content_type, "text/event-stream");
    res->set(http::field::cache_control, "no-cache");
    res->keep_alive(keep_alive_);
    if (chunked_) res->chunked(true);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(kWriteTimeout);
    http::async_write_header(stream_, *sr,
                             [self = shared_from_this(), res, sr](beast::error_code ec, size_t) {
                               if (ec) return self->Close();
                               self->StreamNext();
                             });
  }

  void StreamNext() {
    if (closed_) return;
    const double next = run_->next_event_s().value_or(0);
    WaitThen(next, [this, next] {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
      std::string events;
      run_->AppendDueEvents(std::max(elapsed, next), &events);
      const bool last = !run_->next_event_s().has_value();
      if (events.empty() && !last) return StreamNext();
      wire_.clear();
      if (chunked_) {
        char size[20];
        const int len = std::snprintf(size, sizeof(size), "%zx\r\n", events.size());
        wire_.append(size, len).append(events).append("\r\n");
        if (last) wire_.append("0\r\n\r\n");
      } else {
        wire_ = std::move(events);
      }
      stream_.expires_after(kWriteTimeout);
      net::async_write(stream_, net::buffer(wire_),
                       [self = shared_from_this(), last](beast::error_code ec, size_t) {
                         if (ec) return self->Close();  // the client went away
                         if (self->closed_) return;
                         if (!last) return self->StreamNext();
                         self->EndResponse();
                         self->AfterResponse();
                       });
    });
  }

  // --- Noticing a client that leaves while its completion is being generated ---

  // Waits for the socket to become readable. With a completion in progress that means the
  // client closed or reset the connection, or pipelined its next request (left for the next
  // read; a later close shows as a write error). A peek tells them apart, and also tells a stale
  // readiness report (for bytes the request read already took) from a real one.
  void WatchPeer() { ArmWatch(++response_); }

  void ArmWatch(uint64_t watched) {
    stream_.socket().async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), watched](beast::error_code ec) {
          if (ec == net::error::operation_aborted || self->closed_ || !self->run_ ||
              watched != self->response_) {
            return;  // that response is over
          }
          if (ec) return self->Close();
          char c;
          const ssize_t n =
              ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n > 0) return;  // a pipelined request
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return self->ArmWatch(watched);  // nothing there after all
          }
          self->Close();  // 0: the client closed its end; < 0: reset
        });
  }

  // The completion is over: stop watching (no other socket operation is pending here).
  void EndResponse() {
    run_.reset();
    ++response_;
    beast::error_code ec;
    stream_.socket().cancel(ec);
  }

  std::string RandomId() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 2; ++i) {
      uint64_t r = rng_();
      for (int j = 0; j < 12; ++j, r >>= 4) id.push_back(kHex[r & 15]);
    }
    return id;
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  const std::shared_ptr<const SimModel> model_;
  const int64_t created_;
  std::mt19937_64 rng_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool closed_ = false;
  // The completion in progress.
  std::optional<CompletionRun> run_;
  Clock::time_point start_;
  bool chunked_ = true;
  std::string wire_;
  uint64_t response_ = 0;
  std::array<char, 16 * 1024> discard_;
  uint64_t drained_ = 0;
  const std::shared_ptr<SessionRegistry> registry_;
  const uint64_t registry_id_;
};

}  // namespace

void StartHttpSession(tcp::socket socket, std::shared_ptr<const SimModel> model, int64_t created,
                      std::shared_ptr<SessionRegistry> registry) {
  std::make_shared<Session>(std::move(socket), std::move(model), created, std::move(registry))
      ->Start();
}

}  // namespace ptc::sim
