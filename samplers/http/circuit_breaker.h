// A circuit breaker for one upstream endpoint (the client keeps one per endpoint).
//
// Closed: every request goes. It opens after `consecutive_failures` failures in a row, or when at
// least `min_requests` of the last `window` outcomes are known and the failed fraction reaches
// `failure_rate`. Open: no request goes until `open_for` has passed; then half-open: one probe
// request goes; its success closes the breaker (outcome history cleared), its failure opens it
// again. A failure is what says the endpoint is unhealthy (a transport error, a timeout, an HTTP
// 5xx); a request cancelled by the caller is no outcome at all.
//
// Not thread-safe: the client uses it from its strand. Time is passed in, so tests need no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string_view>

namespace ptc::http {

struct CircuitBreakerOptions {
  bool enabled = true;
  uint32_t consecutive_failures = 5;
  double failure_rate = 0.5;
  uint32_t window = 20;
  uint32_t min_requests = 10;
  std::chrono::milliseconds open_for{10'000};
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view CircuitStateName(CircuitState s);  // "closed", "open", "half_open"

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CircuitBreaker(CircuitBreakerOptions options = {}) : options_(options) {}

  // Whether a request may go now; when it may in the half-open state, it becomes the probe (and
  // no other request may go until its outcome is recorded or it is abandoned).
  bool TryAcquire(Clock::time_point now);
  // The outcome of a request that TryAcquire let through.
  void Record(bool success, Clock::time_point now);
  // A request that TryAcquire let through ended without an outcome (cancelled).
  void Abandon();

  CircuitState state() const { return state_; }
  // Whether TryAcquire would say yes now (without taking the probe).
  bool WouldAllow(Clock::time_point now) const;

 private:
  void Open(Clock::time_point now);

  const CircuitBreakerOptions options_;
  CircuitState state_ = CircuitState::kClosed;
  Clock::time_point open_until_{};
  bool probe_in_flight_ = false;
  uint32_t consecutive_ = 0;
  std::deque<bool> outcomes_;  // the last `window` outcomes, true = failure
  uint32_t failures_in_window_ = 0;
};

}  // namespace ptc::http
