#include "bench/fake_backend/fake_session.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"

namespace ptc::fake {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxBodyBytes = 1 << 20;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    default:
      return "Error";
  }
}

std::string ErrorBody(std::string_view message) {
  std::string body = "{\"error\":{\"message\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') body.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) body.push_back(c);
  }
  body.append("\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
  return body;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<FakeBackendState> state)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), state_(std::move(state)) {
    state_->connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() {
    if (streaming_) state_->open_streams.fetch_sub(1, std::memory_order_relaxed);
    state_->connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRequest(ec); });
  }

  void OnRequest(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Send(413, "application/json", ErrorBody("request body too large"));
    }
    if (ec) return Close();
    state_->requests.fetch_add(1, std::memory_order_relaxed);
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/v1/chat/completions" || path == "/chat/completions") {
      if (req.method() != http::verb::post) {
        return Send(405, "application/json", ErrorBody("use POST"));
      }
      return Completion(req.body());
    }
    if (path == "/health") return Send(200, "text/plain", "ok");
    if (path == "/stats") {
      const FakeBackendStats s = state_->Snapshot();
      return Send(200, "application/json",
                  absl::StrCat("{\"requests\":", s.requests, ",\"completions\":", s.completions,
                               ",\"open_streams\":", s.open_streams,
                               ",\"connections\":", s.connections, "}"));
    }
    Send(404, "application/json", ErrorBody("unknown URL"));
  }

  void Completion(const std::string& body) {
    absl::StatusOr<FakeRequest> req = ScanChatRequest(body);
    if (!req.ok())
      return Send(400, "application/json", ErrorBody(std::string(req.status().message())));
    absl::StatusOr<FakeProfile> profile = ApplyModelOverrides(req->model, state_->profile);
    if (!profile.ok())
      return Send(400, "application/json", ErrorBody(std::string(profile.status().message())));
    state_->completions.fetch_add(1, std::memory_order_relaxed);
    const uint64_t id = state_->next_id.fetch_add(1, std::memory_order_relaxed);
    completion_.emplace(*req, *profile, id);
    start_ = Clock::now();
    if (!req->stream) {
      const Clock::time_point done = DueAt(completion_->tokens() - 1);
      if (done <= start_) return SendCompletionBody();
      timer_.expires_at(done);
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->SendCompletionBody();
      });
      return;
    }
    streaming_ = true;
    state_->open_streams.fetch_add(1, std::memory_order_relaxed);
    chunked_ = version_ >= 11;
    if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the end of the body ends the stream
    out_ = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
    if (chunked_) out_.append("Transfer-Encoding: chunked\r\n");
    if (!keep_alive_) out_.append("Connection: close\r\n");
    out_.append("\r\n");
    std::string events;
    completion_->AppendHeadEvents(&events);
    next_token_ = 0;
    StreamWrite(std::move(events));
  }

  Clock::time_point DueAt(uint32_t token) const {
    const FakeProfile& p = completion_->profile();
    return start_ + std::chrono::milliseconds(p.ttft_ms + uint64_t{p.gap_ms} * token);
  }

  void SendCompletionBody() {
    std::string body = completion_->Body();
    completion_.reset();
    Send(200, "application/json", std::move(body));
  }

  // Appends every token due by now (and the tail after the last) to `events`, writes them with
  // whatever out_ already holds, then waits for the next token.
  void StreamWrite(std::string events) {
    const Clock::time_point now = Clock::now();
    const uint32_t tokens = completion_->tokens();
    while (next_token_ < tokens && DueAt(next_token_) <= now) {
      completion_->AppendTokenEvents(next_token_++, &events);
    }
    const bool last = next_token_ == tokens;
    if (last) completion_->AppendTailEvents(&events);
    if (chunked_) {
      char size[20];
      const int len = std::snprintf(size, sizeof(size), "%zx\r\n", events.size());
      out_.append(size, len).append(events).append("\r\n");
      if (last) out_.append("0\r\n\r\n");
    } else {
      out_.append(events);
    }
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this(), last](beast::error_code ec, size_t) {
                       self->out_.clear();
                       if (ec) return self->Close();  // the client went away
                       if (last) return self->EndStream();
                       self->timer_.expires_at(self->DueAt(self->next_token_));
                       self->timer_.async_wait([self](beast::error_code wait_ec) {
                         if (!wait_ec) self->StreamWrite({});
                       });
                     });
  }

  void EndStream() {
    streaming_ = false;
    state_->open_streams.fetch_sub(1, std::memory_order_relaxed);
    completion_.reset();
    AfterResponse();
  }

  void Send(int status, const char* content_type, std::string body) {
    out_ = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                        "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
                        "\r\n", keep_alive_ ? "" : "Connection: close\r\n", "\r\n");
    out_.append(body);
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->out_.clear();
                       if (ec) return self->Close();
                       self->AfterResponse();
                     });
  }

  void AfterResponse() {
    if (keep_alive_) return Read();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    Close();
  }

  void Close() {
    beast::error_code ec;
    timer_.cancel();
    socket_.close(ec);
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  const std::shared_ptr<FakeBackendState> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  // The completion in progress.
  std::optional<FakeCompletion> completion_;
  Clock::time_point start_;
  uint32_t next_token_ = 0;
  bool streaming_ = false;
  bool chunked_ = true;
  std::string out_;
};

}  // namespace

void StartFakeSession(tcp::socket socket, std::shared_ptr<FakeBackendState> state) {
  std::make_shared<Session>(std::move(socket), std::move(state))->Start();
}

}  // namespace ptc::fake
