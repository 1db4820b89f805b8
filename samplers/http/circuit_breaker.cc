#include "samplers/http/circuit_breaker.h"

namespace ptc::http {

std::string_view CircuitStateName(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

bool CircuitBreaker::WouldAllow(Clock::time_point now) const {
  if (!options_.enabled) return true;
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      return now >= open_until_;
    case CircuitState::kHalfOpen:
      return !probe_in_flight_;
  }
  return true;
}

bool CircuitBreaker::TryAcquire(Clock::time_point now) {
  if (!WouldAllow(now)) return false;
  if (options_.enabled && state_ != CircuitState::kClosed) {
    state_ = CircuitState::kHalfOpen;
    probe_in_flight_ = true;
  }
  return true;
}

void CircuitBreaker::Abandon() { probe_in_flight_ = false; }

void CircuitBreaker::Record(bool success, Clock::time_point now) {
  if (!options_.enabled) return;
  if (state_ == CircuitState::kHalfOpen && probe_in_flight_) {
    probe_in_flight_ = false;
    if (!success) return Open(now);
    state_ = CircuitState::kClosed;
    consecutive_ = 0;
    outcomes_.clear();
    failures_in_window_ = 0;
    return;
  }
  if (state_ != CircuitState::kClosed) return;  // a request that went before the breaker opened
  consecutive_ = success ? 0 : consecutive_ + 1;
  outcomes_.push_back(!success);
  failures_in_window_ += success ? 0 : 1;
  if (outcomes_.size() > options_.window) {
    failures_in_window_ -= outcomes_.front() ? 1 : 0;
    outcomes_.pop_front();
  }
  const bool too_many_in_a_row =
      options_.consecutive_failures > 0 && consecutive_ >= options_.consecutive_failures;
  const bool rate_too_high = options_.min_requests > 0 &&
                             outcomes_.size() >= options_.min_requests &&
                             static_cast<double>(failures_in_window_) >=
                                 options_.failure_rate * static_cast<double>(outcomes_.size());
  if (too_many_in_a_row || rate_too_high) Open(now);
}

void CircuitBreaker::Open(Clock::time_point now) {
  state_ = CircuitState::kOpen;
  open_until_ = now + options_.open_for;
  consecutive_ = 0;
  outcomes_.clear();
  failures_in_window_ = 0;
}

}  // namespace ptc::http
