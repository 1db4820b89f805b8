#include "samplers/http/retry_budget.h"

#include <algorithm>
#include <cmath>

namespace ptc::http {

RetryBudget::RetryBudget(const RetryBudgetOptions& options, absl::Time now)
    : options_(options),
      deposit_(std::llround(options.ratio * kUnit)),
      max_balance_(std::llround(
          std::max({1.0, options.ratio * 1000, options.min_per_second * 100}) * kUnit)),
      // A rate of 0 would mean "unlimited" to the bucket: a zero floor is a bucket never used.
      floor_(std::max(options.min_per_second, 1e-9), std::max(1.0, options.min_per_second), now) {}

void RetryBudget::OnRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  balance_ = std::min(max_balance_, balance_ + deposit_);
}

bool RetryBudget::TryRetry(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (balance_ >= kUnit) {
    balance_ -= kUnit;
    return true;
  }
  return options_.min_per_second > 0 && floor_.TryTake(now);
}

}  // namespace ptc::http
