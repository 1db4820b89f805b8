#include "samplers/http/circuit_breaker.h"

#include "gtest/gtest.h"

namespace ptc::http {
namespace {

using namespace std::chrono_literals;
using Clock = CircuitBreaker::Clock;

CircuitBreakerOptions Options() {
  CircuitBreakerOptions o;
  o.consecutive_failures = 3;
  o.failure_rate = 0.5;
  o.window = 10;
  o.min_requests = 6;
  o.open_for = 1000ms;
  return o;
}

// Lets one request through and records its outcome.
void Request(CircuitBreaker& b, bool success, Clock::time_point now) {
  ASSERT_TRUE(b.TryAcquire(now));
  b.Record(success, now);
}

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresThenProbesAndCloses) {
  CircuitBreaker b(Options());
  const Clock::time_point t0{};
  Request(b, false, t0);
  Request(b, false, t0);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  Request(b, false, t0);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_FALSE(b.TryAcquire(t0 + 999ms));
  // After open_for: one probe, and no second request while it is out.
  EXPECT_TRUE(b.TryAcquire(t0 + 1000ms));
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_FALSE(b.TryAcquire(t0 + 1001ms));
  b.Record(true, t0 + 1002ms);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  // History cleared: it takes three new failures in a row again.
  Request(b, false, t0 + 2s);
  Request(b, false, t0 + 2s);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, AFailedProbeOpensItAgain) {
  CircuitBreaker b(Options());
  const Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) Request(b, false, t0);
  ASSERT_TRUE(b.TryAcquire(t0 + 1s));
  b.Record(false, t0 + 1s);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_FALSE(b.TryAcquire(t0 + 1s + 999ms));
  EXPECT_TRUE(b.TryAcquire(t0 + 2s));
}

TEST(CircuitBreakerTest, AnAbandonedProbeFreesTheSlot) {
  CircuitBreaker b(Options());
  const Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) Request(b, false, t0);
  ASSERT_TRUE(b.TryAcquire(t0 + 1s));
  EXPECT_FALSE(b.TryAcquire(t0 + 1s));
  b.Abandon();  // the probe was cancelled: no verdict, another may go
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_TRUE(b.TryAcquire(t0 + 1s));
}

TEST(CircuitBreakerTest, OpensOnTheFailureRateOnceEnoughOutcomesAreKnown) {
  CircuitBreaker b(Options());
  const Clock::time_point t0{};
  // Alternating: never three in a row; 50% failures once 6 outcomes are known.
  Request(b, false, t0);
  Request(b, true, t0);
  Request(b, false, t0);
  Request(b, true, t0);
  Request(b, false, t0);
  EXPECT_EQ(b.state(), CircuitState::kClosed);  // 3 of 5, but fewer than min_requests
  Request(b, true, t0);
  EXPECT_EQ(b.state(), CircuitState::kOpen);  // 3 of 6 = 0.5
}

TEST(CircuitBreakerTest, TheRateIsOverTheLastWindowOfOutcomes) {
  CircuitBreakerOptions o = Options();
  o.consecutive_failures = 0;  // the rate alone
  o.window = 10;
  o.min_requests = 10;
  CircuitBreaker b(o);
  const Clock::time_point t0{};
  for (int i = 0; i < 4; ++i) Request(b, false, t0);
  for (int i = 0; i < 10; ++i) Request(b, true, t0);  // 4 of 10, then the failures age out
  ASSERT_EQ(b.state(), CircuitState::kClosed);
  for (int i = 0; i < 4; ++i) Request(b, false, t0);
  EXPECT_EQ(b.state(), CircuitState::kClosed);  // 4 of the last 10
  Request(b, false, t0);
  // 5 of the last 10: open. (Over all 19 outcomes it would be 9, under half.)
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, DisabledAlwaysAllows) {
  CircuitBreakerOptions o = Options();
  o.enabled = false;
  CircuitBreaker b(o);
  for (int i = 0; i < 50; ++i) Request(b, false, Clock::time_point{});
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, StateNames) {
  EXPECT_EQ(CircuitStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(CircuitStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(CircuitStateName(CircuitState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace ptc::http
