// The Client implementation: per-endpoint pools and one Exchange per request.
//
// Threading: each Exchange lives on its own strand (the caller's, or one made for it): its I/O,
// timers and handler calls run there, and Client::Start and Call::Cancel only post to it, so
// handler calls never run inside them. The pools, breakers and outlier detector are shared by
// every exchange and live under the client's mutex `mu_`; a connection belongs to one exchange at
// a time (taken from and returned to its pool under the mutex). An exchange waiting for a
// connection is woken by a post to its strand.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/http/buffer_body.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "samplers/http/connection.h"
#include "samplers/http/http_client.h"
#include "samplers/http/outlier_detector.h"
#include "samplers/http/url.h"

namespace ptc::http {

class Exchange;

// One endpoint's connections, under the client's mutex (the URL is immutable).
struct EndpointPool {
  Url url;
  uint32_t outstanding = 0;  // exchanges started and not finished (queued included)
  uint32_t open = 0;         // connections open or opening
  // Idle connections by the index of their io_context among the client's: an exchange takes one
  // of its own context's first, so its socket's completions run on its own thread.
  std::vector<std::vector<std::shared_ptr<Connection>>> idle;
  std::deque<std::shared_ptr<Exchange>> waiters;  // waiting for a connection
  CircuitBreaker breaker;
};

class ClientImpl : public Client, public std::enable_shared_from_this<ClientImpl> {
 public:
  ClientImpl(ClientOptions options, std::vector<Url> urls, const IoContexts& io,
             std::optional<boost::asio::ssl::context> tls);

  std::unique_ptr<Call> Start(Request request, std::shared_ptr<ResponseHandler> handler) override;
  std::unique_ptr<Call> Start(Request request, std::shared_ptr<ResponseHandler> handler,
                              const Strand& strand) override;
  std::vector<EndpointStats> Stats() const override;

  // The API for Exchange; each call takes the mutex itself.
  const ClientOptions& options() const { return options_; }
  const Url& url(size_t endpoint) const { return pools_[endpoint].url; }
  // Least outstanding among the endpoints whose breaker lets a request through and that are not
  // ejected as outliers (ejected ones only when no other is available), ties rotated; counts the
  // new exchange. nullopt when every breaker is open.
  std::optional<size_t> PickEndpoint();
  // A connection for `exchange` on `endpoint`: an idle one of the exchange's io_context, a new one
  // on that context (counted as open; not yet connected: `fresh` is set), an idle one of another
  // context when the endpoint is at its connection limit, or none when the endpoint is at its
  // connection limit, in which case the exchange is queued and later gets Use (a connection handed
  // over) or Acquire (a slot freed) posted to its strand.
  std::shared_ptr<Connection> Acquire(size_t endpoint, const std::shared_ptr<Exchange>& exchange,
                                      bool& fresh);
  // Takes `exchange` out of the queue; false when it was not queued (a hand-off is on its way).
  bool Dequeue(size_t endpoint, const std::shared_ptr<Exchange>& exchange);
  // A connection after a complete keep-alive response: handed to a waiter or kept idle.
  void Release(size_t endpoint, std::shared_ptr<Connection> conn);
  // A connection closed (failure, cancel, no keep-alive): frees its slot for a waiter.
  void Closed(size_t endpoint);
  // An exchange on `endpoint` ended, under one lock: its outcome for the breaker and the outlier
  // detector (success, failure, or none: nullopt when cancelled, or refused before anything was
  // sent; `first_body`: the time to its first body byte, when one came), and its connection,
  // when it can carry another request (`reuse`, as Release).
  void Finished(size_t endpoint, std::optional<bool> success,
                std::optional<std::chrono::steady_clock::duration> first_body,
                std::shared_ptr<Connection> reuse);

 private:
  // Tells options_.on_circuit_state when `p`'s breaker is no longer in state `before`. Under mu_.
  void ReportCircuitChange(const EndpointPool& p, CircuitState before);
  // Hands `conn` to the first waiter (returned; the caller posts it) or keeps it idle. Under mu_.
  std::shared_ptr<Exchange> ReleaseLocked(EndpointPool& p, std::shared_ptr<Connection>& conn);
  static void HandOver(std::shared_ptr<Exchange> next, std::shared_ptr<Connection> conn);

  ClientOptions options_;
  IoContexts io_;
  std::optional<boost::asio::ssl::context> tls_;
  mutable std::mutex mu_;
  std::vector<EndpointPool> pools_;  // the URLs immutable, the rest under mu_
  OutlierDetector outliers_;         // under mu_
  size_t rotate_ = 0;                // under mu_
};

// One request/response exchange. Lives on its strand `strand_`.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<ClientImpl> client, Request request,
           std::shared_ptr<ResponseHandler> handler, Strand strand);

  const Strand& strand() const { return strand_; }
  void Begin();    // on the strand
  void Cancel();   // any thread
  void Acquire();  // on the strand: get a connection from the pool, a new one, or queue
  void Use(std::shared_ptr<Connection> conn);  // on the strand: a pooled connection handed over

 private:
  void Connect(std::shared_ptr<Connection> conn);
  void Handshake();
  void Send();
  void ReadHead();
  void ReadBody();
  void Complete();
  void Fail(const boost::system::error_code& ec, const char* what);
  void Abort(absl::Status status);
  void Finish(absl::Status status);
  // The timeouts share one timer, a lazy deadline: a phase (connect, first byte, body) only sets
  // its start and which timeout applies; reads only move last_read_ forward. The timer waits until
  // the earliest time a timeout could pass (never more than the idle timeout, or a second, ahead),
  // then checks them all and waits again for what is left. So an exchange of any phases arms it
  // once, unless a phase's timeout ends before the pending wait does (or the idle timeout is
  // under a second).
  // Each takes the time now from its caller, which has just read the clock.
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Phase { kNone, kConnect, kFirstByte, kBody };
  void EnterPhase(Phase phase, TimePoint now);
  void Watch(TimePoint now);    // arms the timer for Due(now), unless a wait pending ends no later
  void OnWatch(TimePoint now);  // the timer fired: aborts on a passed timeout, or waits again
  TimePoint Due(TimePoint now) const;
  TimePoint PhaseDeadline() const;
  const char* DeadlineName() const {
    return deadline_is_callers_ ? "the request's deadline" : "total timeout";
  }
  void DropConnection();

  std::shared_ptr<ClientImpl> client_;
  Request request_;
  std::shared_ptr<ResponseHandler> handler_;
  Strand strand_;
  size_t endpoint_ = 0;
  std::shared_ptr<Connection> conn_;
  std::optional<boost::asio::ip::tcp::resolver> resolver_;
  boost::asio::steady_timer timer_;
  TimePoint deadline_;                // the total timeout's or the request's
  bool deadline_is_callers_ = false;  // the request's deadline comes before the total timeout
  Phase phase_ = Phase::kNone;
  TimePoint phase_start_;
  TimePoint watch_at_ = TimePoint::max();  // when the wait pending on timer_ ends; max: none
  uint64_t watch_ = 0;  // the pending wait's number: a replaced or cancelled wait is ignored
  boost::beast::http::request<boost::beast::http::string_body> message_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
  // The body read buffer, allocated when the body starts: kMinRead bytes, doubled up to kMaxRead
  // when a read fills it; reused by every read (the handler sees a view of it).
  static constexpr size_t kMinRead = 4096;
  static constexpr size_t kMaxRead = 16384;
  std::string read_buffer_;
  size_t read_size_ = kMinRead;
  static constexpr size_t kMinSocketRead = 512;  // Beast's least read into a dynamic buffer
  bool grow_input_ = false;  // the latest body read filled half of the connection's buffer
  std::chrono::steady_clock::time_point last_read_;  // the latest body read started
  std::optional<absl::Status> abort_;  // why the exchange is being torn down (timeout, cancel)
  bool started_ = false;
  bool got_head_ = false;
  bool reused_ = false;  // the connection had carried an earlier request
  bool stale_retried_ = false;
  bool done_ = false;
  bool reusable_ = false;  // the response is complete and the connection keeps alive
  int head_status_ = 0;    // the response's HTTP status, once its head arrived
  bool callers_deadline_passed_ = false;
  std::chrono::steady_clock::time_point began_;                          // endpoint picked
  std::optional<std::chrono::steady_clock::duration> first_body_after_;  // since began_
};

}  // namespace ptc::http
