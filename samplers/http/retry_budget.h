// A retry budget per backend, so that a struggling upstream is not buried under retries (a retry
// storm turns a brown-out into an outage): every first attempt deposits `ratio` of a retry, every
// retry withdraws a whole one, and a floor of `min_per_second` retries (a token bucket) is always
// available so that a quiet backend can still retry. With the defaults (0.2, 10/s) retries add at
// most 20% to the upstream load, plus 10 per second. Deposits are capped at what 100 seconds of
// the floor, or 1000 requests, would give, so a long quiet spell cannot save up a storm.
// Thread-safe; time is passed in for tests.
#pragma once

#include <cstdint>
#include <mutex>

#include "absl/time/time.h"
#include "common/token_bucket.h"

namespace ptc::http {

struct RetryBudgetOptions {
  double ratio = 0.2;
  double min_per_second = 10;
};

class RetryBudget {
 public:
  RetryBudget(const RetryBudgetOptions& options, absl::Time now);

  // A first attempt went out.
  void OnRequest();
  // Whether a retry may go out now; takes it from the budget when it may.
  bool TryRetry(absl::Time now);

  const RetryBudgetOptions& options() const { return options_; }

 private:
  // Retries in millionths, so that ten deposits of 0.1 make exactly one retry.
  static constexpr int64_t kUnit = 1'000'000;

  const RetryBudgetOptions options_;
  const int64_t deposit_;
  const int64_t max_balance_;
  std::mutex mu_;
  int64_t balance_ = 0;  // retries earned by first attempts, in kUnit
  TokenBucket floor_;
};

}  // namespace ptc::http
