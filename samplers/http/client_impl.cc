#include "samplers/http/client_impl.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "boost/asio/bind_executor.hpp"
#include "boost/asio/connect.hpp"
#include "boost/asio/defer.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/write.hpp"

namespace ptc::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A connection reused from the pool may have been closed by the server while idle: these errors
// before any response byte mean "try a fresh connection", not an upstream failure.
bool StaleConnectionError(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream ||
         ec == asio::ssl::error::stream_truncated;
}

class CallImpl : public Call {
 public:
  explicit CallImpl(std::weak_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
  void Cancel() override {
    if (auto e = exchange_.lock()) e->Cancel();
  }

 private:
  std::weak_ptr<Exchange> exchange_;
};

}  // namespace

// ---- ClientImpl ----

ClientImpl::ClientImpl(ClientOptions options, std::vector<Url> urls, const IoContexts& io,
                       std::optional<asio::ssl::context> tls)
    : options_(std::move(options)),
      io_(io),
      tls_(std::move(tls)),
      outliers_(urls.size(), options_.outlier, std::chrono::steady_clock::now()) {
  pools_.reserve(urls.size());
  for (Url& url : urls) {
    pools_.push_back(
        EndpointPool{std::move(url), 0, 0, {}, {}, CircuitBreaker(options_.circuit_breaker)});
    pools_.back().idle.resize(io_.size());
  }
  if (options_.on_circuit_state) {
    for (const EndpointPool& p : pools_)
      options_.on_circuit_state(p.url.base, CircuitState::kClosed);
  }
}

std::unique_ptr<Call> ClientImpl::Start(Request request, std::shared_ptr<ResponseHandler> handler) {
  return Start(std::move(request), std::move(handler), asio::make_strand(io_[io_.LocalIndex()]));
}

std::unique_ptr<Call> ClientImpl::Start(Request request, std::shared_ptr<ResponseHandler> handler,
                                        const Strand& strand) {
  auto exchange = std::make_shared<Exchange>(shared_from_this(), std::move(request),
                                             std::move(handler), strand);
  // Deferred: called from a handler on an io thread, it runs on that thread after it.
  asio::defer(strand, [exchange] { exchange->Begin(); });
  return std::make_unique<CallImpl>(exchange);
}

std::vector<EndpointStats> ClientImpl::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EndpointStats> out;
  for (const EndpointPool& p : pools_) {
    size_t idle = 0;
    for (const auto& conns : p.idle) idle += conns.size();
    out.push_back(
        {p.url.base, p.outstanding, p.open, static_cast<uint32_t>(idle), p.breaker.state()});
  }
  return out;
}

std::optional<size_t> ClientImpl::PickEndpoint() {
  const auto now = CircuitBreaker::Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<size_t> best;
  for (bool with_ejected : {false, true}) {
    for (size_t k = 0; k < pools_.size(); ++k) {
      const size_t i = (rotate_ + k) % pools_.size();
      if (!pools_[i].breaker.WouldAllow(now)) continue;
      if (!with_ejected && outliers_.Ejected(i, now)) continue;
      if (!best || pools_[i].outstanding < pools_[*best].outstanding) best = i;
    }
    if (best) break;
  }
  ++rotate_;
  if (!best) return std::nullopt;
  EndpointPool& p = pools_[*best];
  const CircuitState before = p.breaker.state();
  p.breaker.TryAcquire(now);
  ReportCircuitChange(p, before);
  ++p.outstanding;
  return best;
}

void ClientImpl::ReportCircuitChange(const EndpointPool& p, CircuitState before) {
  if (p.breaker.state() != before && options_.on_circuit_state) {
    options_.on_circuit_state(p.url.base, p.breaker.state());
  }
}

std::shared_ptr<Connection> ClientImpl::Acquire(size_t endpoint,
                                                const std::shared_ptr<Exchange>& exchange,
                                                bool& fresh) {
  EndpointPool& p = pools_[endpoint];
  // A strand of an io_context that is not the client's (see Client::Start) gets the first one's.
  const size_t context = io_.IndexOf(exchange->strand().get_inner_executor().context()).value_or(0);
  const auto take = [](std::vector<std::shared_ptr<Connection>>& idle) {
    std::shared_ptr<Connection> conn = std::move(idle.back());
    idle.pop_back();
    return conn;
  };
  std::lock_guard<std::mutex> lock(mu_);
  fresh = false;
  if (!p.idle[context].empty()) return take(p.idle[context]);
  if (p.open < options_.max_connections_per_endpoint) {
    ++p.open;
    fresh = true;
    auto conn = std::make_shared<Connection>(
        io_[context].get_executor(), p.url.tls ? &*tls_ : nullptr, p.url, options_.verify_peer);
    conn->context = context;
    return conn;
  }
  // At the limit: another context's idle connection serves (its completions hop threads) rather
  // than the exchange waiting.
  for (auto& idle : p.idle) {
    if (!idle.empty()) return take(idle);
  }
  p.waiters.push_back(exchange);
  return nullptr;
}

bool ClientImpl::Dequeue(size_t endpoint, const std::shared_ptr<Exchange>& exchange) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& waiters = pools_[endpoint].waiters;
  const auto it = std::find(waiters.begin(), waiters.end(), exchange);
  if (it == waiters.end()) return false;
  waiters.erase(it);
  return true;
}

std::shared_ptr<Exchange> ClientImpl::ReleaseLocked(EndpointPool& p,
                                                    std::shared_ptr<Connection>& conn) {
  if (p.waiters.empty()) {
    p.idle[conn->context].push_back(std::move(conn));
    return nullptr;
  }
  std::shared_ptr<Exchange> next = std::move(p.waiters.front());
  p.waiters.pop_front();
  return next;
}

void ClientImpl::HandOver(std::shared_ptr<Exchange> next, std::shared_ptr<Connection> conn) {
  const Strand strand = next->strand();
  asio::post(strand, [next = std::move(next), conn = std::move(conn)]() mutable {
    next->Use(std::move(conn));
  });
}

void ClientImpl::Release(size_t endpoint, std::shared_ptr<Connection> conn) {
  std::shared_ptr<Exchange> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next = ReleaseLocked(pools_[endpoint], conn);
  }
  if (next) HandOver(std::move(next), std::move(conn));
}

void ClientImpl::Closed(size_t endpoint) {
  EndpointPool& p = pools_[endpoint];
  std::shared_ptr<Exchange> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --p.open;
    if (p.waiters.empty()) return;
    next = std::move(p.waiters.front());
    p.waiters.pop_front();
  }
  const Strand strand = next->strand();
  asio::post(strand, [next = std::move(next)] { next->Acquire(); });
}

void ClientImpl::Finished(size_t endpoint, std::optional<bool> success,
                          std::optional<std::chrono::steady_clock::duration> first_body,
                          std::shared_ptr<Connection> reuse) {
  EndpointPool& p = pools_[endpoint];
  std::shared_ptr<Exchange> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const CircuitState before = p.breaker.state();
    if (success.has_value()) {
      p.breaker.Record(*success, CircuitBreaker::Clock::now());
      outliers_.Record(endpoint, *success, first_body);
    } else {
      p.breaker.Abandon();
    }
    ReportCircuitChange(p, before);
    --p.outstanding;
    if (reuse) next = ReleaseLocked(p, reuse);
  }
  if (next) HandOver(std::move(next), std::move(reuse));
}

// ---- Exchange ----

Exchange::Exchange(std::shared_ptr<ClientImpl> client, Request request,
                   std::shared_ptr<ResponseHandler> handler, Strand strand)
    : client_(std::move(client)),
      request_(std::move(request)),
      handler_(std::move(handler)),
      strand_(std::move(strand)),
      timer_(strand_) {}

void Exchange::Begin() {
  if (done_) return;
  const std::optional<size_t> endpoint = client_->PickEndpoint();
  if (!endpoint) {
    std::string bases;
    for (const EndpointStats& e : client_->Stats()) {
      absl::StrAppend(&bases, bases.empty() ? "" : ", ", e.endpoint);
    }
    return Finish(absl::UnavailableError(absl::StrCat("circuit breaker open for every endpoint (",
                                                      bases, "): recent requests failed")));
  }
  started_ = true;
  endpoint_ = *endpoint;
  began_ = std::chrono::steady_clock::now();
  const auto total = client_->options().timeouts.total;
  deadline_is_callers_ = request_.deadline - began_ < total;
  deadline_ = deadline_is_callers_ ? request_.deadline : began_ + total;
  if (deadline_ <= began_) {
    return Finish(
        absl::DeadlineExceededError(absl::StrCat("HTTP request to ", client_->url(endpoint_).base,
                                                 ": ", DeadlineName(), " already passed")));
  }
  Watch(began_);
  Acquire();
}

void Exchange::Cancel() {
  asio::post(strand_, [self = shared_from_this()] {
    self->Abort(absl::CancelledError("HTTP request cancelled"));
  });
}

void Exchange::Abort(absl::Status status) {
  if (done_ || abort_) return;
  abort_ = std::move(status);
  if (!started_) return Finish(*abort_);
  // Queued: nothing else will wake the exchange. When it is not in the queue, an operation is in
  // flight (closing makes it complete with an error, and Fail reports abort_) or a connection or
  // a slot is on its way (Use or Acquire sees abort_).
  if (!conn_ && !resolver_ && client_->Dequeue(endpoint_, shared_from_this())) {
    return Finish(*abort_);
  }
  if (resolver_) resolver_->cancel();
  if (conn_) conn_->Close();
}

void Exchange::Acquire() {
  if (done_) return;
  if (abort_) return Finish(*abort_);
  bool fresh = false;
  std::shared_ptr<Connection> conn = client_->Acquire(endpoint_, shared_from_this(), fresh);
  if (!conn) return;  // queued
  if (fresh) return Connect(std::move(conn));
  Use(std::move(conn));
}

void Exchange::Use(std::shared_ptr<Connection> conn) {
  conn_ = std::move(conn);
  if (abort_) {
    // Cancelled while the connection was being handed over: it is still good for others.
    client_->Release(endpoint_, std::move(conn_));
    return Finish(*abort_);
  }
  Send();
}

void Exchange::EnterPhase(Phase phase, TimePoint now) {
  phase_ = phase;
  phase_start_ = now;
  Watch(now);
}

Exchange::TimePoint Exchange::PhaseDeadline() const {
  const Timeouts& t = client_->options().timeouts;
  switch (phase_) {
    case Phase::kConnect:
      return phase_start_ + t.connect;
    case Phase::kFirstByte:
      return phase_start_ + t.first_byte;
    case Phase::kBody:
      return last_read_ + t.idle;
    case Phase::kNone:
      break;
  }
  return TimePoint::max();
}

Exchange::TimePoint Exchange::Due(TimePoint now) const {
  // At most the idle timeout ahead, so the body phase, which comes next, needs no earlier wait;
  // but a second at least, so a tiny idle timeout does not wake a slow connect every millisecond.
  const auto recheck = std::max<std::chrono::steady_clock::duration>(
      client_->options().timeouts.idle, std::chrono::seconds(1));
  return std::min({deadline_, PhaseDeadline(), now + recheck});
}

void Exchange::Watch(TimePoint now) {
  if (done_) return;
  const TimePoint due = Due(now);
  if (watch_at_ <= due) return;  // a wait pending fires in time and checks again
  watch_at_ = due;
  timer_.expires_at(due);  // a wait pending is cancelled; its number is no longer watch_
  timer_.async_wait([self = shared_from_this(), n = ++watch_](const error_code& ec) {
    if (ec || self->done_ || n != self->watch_) return;
    self->watch_at_ = TimePoint::max();
    self->OnWatch(std::chrono::steady_clock::now());
  });
}

void Exchange::OnWatch(TimePoint now) {
  const std::string& base = client_->url(endpoint_).base;
  if (now >= deadline_) {
    // The caller's deadline passing says nothing about the endpoint's health.
    if (deadline_is_callers_) callers_deadline_passed_ = true;
    return Abort(absl::DeadlineExceededError(
        absl::StrCat("HTTP request to ", base, ": ", DeadlineName(), " exceeded")));
  }
  if (now >= PhaseDeadline()) {
    const char* which = phase_ == Phase::kConnect     ? "connect"
                        : phase_ == Phase::kFirstByte ? "first byte"
                                                      : "idle";
    return Abort(absl::DeadlineExceededError(
        absl::StrCat("HTTP request to ", base, ": ", which, " timeout exceeded")));
  }
  Watch(now);
}

void Exchange::Connect(std::shared_ptr<Connection> conn) {
  conn_ = std::move(conn);
  EnterPhase(Phase::kConnect, std::chrono::steady_clock::now());
  const Url& url = client_->url(endpoint_);
  resolver_.emplace(strand_);
  resolver_->async_resolve(
      url.host, std::to_string(url.port),
      [self = shared_from_this()](const error_code& ec,
                                  asio::ip::tcp::resolver::results_type results) {
        self->resolver_.reset();
        if (ec) return self->Fail(ec, "resolving");
        if (self->abort_) return self->Fail(asio::error::operation_aborted, "connecting to");
        asio::async_connect(
            self->conn_->socket(), results,
            asio::bind_executor(
                self->strand_, [self](const error_code& ec, const asio::ip::tcp::endpoint&) {
                  if (ec) return self->Fail(ec, "connecting to");
                  error_code ignored;
                  self->conn_->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
                  self->Handshake();
                }));
      });
}

void Exchange::Handshake() {
  Connection::Tls* tls = conn_->tls_stream();
  if (tls == nullptr) return Send();
  tls->async_handshake(
      asio::ssl::stream_base::client,
      asio::bind_executor(strand_, [self = shared_from_this()](const error_code& ec) {
        if (ec) return self->Fail(ec, "TLS handshake with");
        self->Send();
      }));
}

void Exchange::Send() {
  const Url& url = client_->url(endpoint_);
  EnterPhase(Phase::kFirstByte, std::chrono::steady_clock::now());
  message_ = {};
  message_.version(11);
  message_.method_string(request_.method);
  message_.target(url.prefix + request_.path);
  message_.set(bhttp::field::host, url.HostHeader());
  for (const auto& [name, value] : request_.headers) message_.insert(name, value);
  message_.body() = request_.body;
  message_.keep_alive(true);
  message_.prepare_payload();
  reused_ = conn_->used;
  conn_->used = true;
  conn_->Visit([&](auto& stream) {
    bhttp::async_write(
        stream, message_,
        asio::bind_executor(strand_, [self = shared_from_this()](const error_code& ec, size_t) {
          if (ec) return self->Fail(ec, "sending the request to");
          self->ReadHead();
        }));
  });
}

void Exchange::ReadHead() {
  parser_.emplace();
  parser_->body_limit(boost::none);
  conn_->Visit([&](auto& stream) {
    bhttp::async_read_header(
        stream, conn_->buffer, *parser_,
        asio::bind_executor(strand_, [self = shared_from_this()](const error_code& ec, size_t) {
          if (ec) return self->Fail(ec, "reading the response head from");
          self->got_head_ = true;
          ResponseHead head;
          const auto& res = self->parser_->get();
          head.status = static_cast<int>(res.result_int());
          self->head_status_ = head.status;
          for (const auto& field : res) {
            head.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
          }
          self->handler_->OnHead(head);
          self->ReadBody();
        }));
  });
}

void Exchange::ReadBody() {
  if (done_) return;
  if (abort_) return Fail(asio::error::operation_aborted, "reading the response body from");
  if (parser_->is_done()) return Complete();
  last_read_ = std::chrono::steady_clock::now();
  if (phase_ != Phase::kBody) EnterPhase(Phase::kBody, last_read_);
  if (read_buffer_.size() != read_size_) read_buffer_.resize(read_size_);
  parser_->get().body().data = read_buffer_.data();
  parser_->get().body().size = read_buffer_.size();
  // Beast reads the socket into the connection's buffer, as much as its free capacity (at least
  // 512 bytes): doubled, up to kMaxRead, after a read that filled half of it, so a fast response
  // takes a few reads and a slow stream's connection keeps a small buffer.
  boost::beast::flat_buffer& input = conn_->buffer;
  if (grow_input_ && input.capacity() < kMaxRead) {
    input.reserve(std::min(2 * std::max(input.capacity(), kMinSocketRead), kMaxRead));
  }
  const size_t room = std::max(kMinSocketRead, input.capacity() - input.size());
  conn_->Visit([&](auto& stream) {
    bhttp::async_read_some(
        stream, conn_->buffer, *parser_,
        asio::bind_executor(strand_, [self = shared_from_this(), room](error_code ec, size_t) {
          if (ec == bhttp::error::need_buffer) ec = {};
          const std::string& buffer = self->read_buffer_;
          const size_t n = buffer.size() - self->parser_->get().body().size;
          if (n > 0 && !self->first_body_after_) {
            self->first_body_after_ = std::chrono::steady_clock::now() - self->began_;
          }
          if (n == buffer.size()) self->read_size_ = std::min(2 * self->read_size_, kMaxRead);
          self->grow_input_ = 2 * n >= room;
          if (n > 0 && !self->abort_) self->handler_->OnBody(std::string_view(buffer.data(), n));
          if (ec) return self->Fail(ec, "reading the response body from");
          self->ReadBody();
        }));
  });
}

void Exchange::Complete() {
  reusable_ = parser_->keep_alive();  // Finish hands the connection back
  Finish(absl::OkStatus());
}

void Exchange::DropConnection() {
  if (!conn_) return;
  conn_->Close();
  conn_.reset();
  client_->Closed(endpoint_);
}

void Exchange::Fail(const error_code& ec, const char* what) {
  if (done_) return;
  const bool reused = reused_ && !got_head_;
  std::string verify_error = conn_ ? conn_->verify_error : "";
  DropConnection();
  if (abort_) return Finish(*abort_);
  if (reused && !stale_retried_ && StaleConnectionError(ec)) {
    stale_retried_ = true;
    return Acquire();
  }
  const std::string& base = client_->url(endpoint_).base;
  if (!verify_error.empty()) {
    return Finish(absl::UnavailableError(
        absl::StrCat("TLS certificate verification failed for ", base, ": ", verify_error)));
  }
  if (ec == bhttp::error::partial_message || (got_head_ && ec == asio::error::eof)) {
    return Finish(absl::UnavailableError(
        absl::StrCat("the connection to ", base, " closed before the response body ended")));
  }
  Finish(absl::UnavailableError(absl::StrCat(what, " ", base, ": ", ec.message())));
}

void Exchange::Finish(absl::Status status) {
  if (done_) return;
  done_ = true;
  if (watch_at_ != TimePoint::max()) timer_.cancel();
  watch_at_ = TimePoint::max();
  std::shared_ptr<Connection> reuse;
  if (reusable_) reuse = std::move(conn_);
  if (conn_) DropConnection();
  if (started_) {
    // For the breaker: a 5xx, a transport error or a timeout says the endpoint is unhealthy; a
    // cancel says nothing.
    std::optional<bool> success;
    if (status.ok()) {
      success = head_status_ < 500;
    } else if (status.code() != absl::StatusCode::kCancelled && !callers_deadline_passed_) {
      success = false;
    }
    client_->Finished(endpoint_, success, first_body_after_, std::move(reuse));
  }
  std::shared_ptr<ResponseHandler> handler = std::move(handler_);
  handler->OnComplete(std::move(status));
}

}  // namespace ptc::http
