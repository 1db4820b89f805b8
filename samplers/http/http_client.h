// HTTP/1.1 client for model backends, on Boost.Asio / Boost.Beast.
//
// One Client per backend instance. It holds keep-alive connection pools per endpoint (capped),
// speaks TLS through OpenSSL (certificate verification and SNI on by default; the system CA
// store, or a CA file), balances across several endpoints by least outstanding requests, enforces
// connect / first-byte / idle / total timeouts, and cancels by closing the upstream connection so
// the model server stops generating. Nothing blocks: every call is asynchronous.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/strand.hpp"
#include "common/io_contexts.h"
#include "samplers/http/circuit_breaker.h"
#include "samplers/http/outlier_detector.h"

namespace ptc::http {

struct Timeouts {
  std::chrono::milliseconds connect{10'000};      // TCP connect + TLS handshake
  std::chrono::milliseconds first_byte{120'000};  // request written -> response head
  std::chrono::milliseconds idle{60'000};         // longest gap between body reads
  std::chrono::milliseconds total{1'800'000};     // the whole exchange
};

struct ClientOptions {
  // Base URLs, "http://host:port/prefix" or "https://host/prefix" (e.g.
  // "https://api.openai.com/v1"). At least one. A request's path is appended to the chosen
  // endpoint's prefix.
  std::vector<std::string> endpoints;
  uint32_t max_connections_per_endpoint = 64;  // open + opening; further requests queue
  std::string ca_file;                         // PEM bundle; empty = the system store
  bool verify_peer = true;                     // https only; off only for tests
  Timeouts timeouts;
  CircuitBreakerOptions circuit_breaker;
  OutlierOptions outlier;
  // Called whenever an endpoint's breaker changes state, in the order of the changes (under the
  // client's lock: it must not block or call back into the client), and once per endpoint
  // (closed) when the client is created.
  std::function<void(const std::string& endpoint, CircuitState state)> on_circuit_state;
};

struct Request {
  std::string method = "POST";
  std::string path;  // appended to the endpoint prefix, e.g. "/chat/completions"
  // Sent as given. Values may hold secrets (API keys): the client never logs them or puts them in
  // a status message.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Overall deadline from the caller (the request's deadline); the earlier of this and
  // timeouts.total applies.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct ResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // First value of the header `lower_name`.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

// Receives one exchange, in order and never concurrently: OnHead at most once, OnBody zero or more
// times with body bytes as they arrive (chunked encoding already removed), then OnComplete exactly
// once. Calls run on the exchange's strand (the one given to Client::Start, else one of its own);
// they must not block. They never run inside Client::Start or Call::Cancel, so a handler may take
// its own locks there.
class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  virtual void OnHead(const ResponseHead& head) = 0;
  // `bytes` are valid only during the call (they are the client's read buffer).
  virtual void OnBody(std::string_view bytes) = 0;
  // OK: the whole body arrived. Otherwise UNAVAILABLE (connect failure, reset, truncated body, or
  // every endpoint's circuit breaker open: then nothing was sent), DEADLINE_EXCEEDED (a timeout;
  // the message says which), CANCELLED (Call::Cancel).
  virtual void OnComplete(absl::Status status) = 0;
};

// One exchange in progress.
class Call {
 public:
  virtual ~Call() = default;
  // Closes the upstream connection (never returned to the pool). Thread-safe, idempotent,
  // non-blocking; OnComplete(CANCELLED) follows unless the exchange had already completed.
  virtual void Cancel() = 0;
};

struct EndpointStats {
  std::string endpoint;      // the base URL (it holds no secret)
  uint32_t outstanding = 0;  // requests in progress or queued
  uint32_t open_connections = 0;
  uint32_t idle_connections = 0;
  CircuitState circuit = CircuitState::kClosed;
};

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

class Client {
 public:
  // INVALID_ARGUMENT naming the endpoint (by position) when a URL is malformed or its scheme is
  // not http/https, or when the CA file cannot be read.
  static absl::StatusOr<std::shared_ptr<Client>> Create(ClientOptions options,
                                                        const IoContexts& io);
  virtual ~Client() = default;
  // Starts an exchange and returns at once. The client keeps `handler` alive until OnComplete.
  // Dropping the Call does not cancel the exchange. The exchange runs on a strand of its own.
  virtual std::unique_ptr<Call> Start(Request request,
                                      std::shared_ptr<ResponseHandler> handler) = 0;
  // The same, with the exchange (its I/O, timers and handler calls) on the caller's `strand`:
  // a caller that lives on a strand gets its handler calls there without a hand-off. The strand
  // must belong to one of the client's io_contexts; a new connection is made on the strand's.
  virtual std::unique_ptr<Call> Start(Request request, std::shared_ptr<ResponseHandler> handler,
                                      const Strand& strand) = 0;
  virtual std::vector<EndpointStats> Stats() const = 0;
};

}  // namespace ptc::http
