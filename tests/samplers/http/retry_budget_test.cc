#include "samplers/http/retry_budget.h"

#include "gtest/gtest.h"

namespace ptc::http {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(RetryBudgetTest, RetriesAreAShareOfRequestsPlusAFloor) {
  RetryBudget b({.ratio = 0.2, .min_per_second = 2}, kT0);
  // The floor: 2 at once (its burst), then 2 per second.
  EXPECT_TRUE(b.TryRetry(kT0));
  EXPECT_TRUE(b.TryRetry(kT0));
  EXPECT_FALSE(b.TryRetry(kT0));
  // 10 requests earn 2 retries.
  for (int i = 0; i < 10; ++i) b.OnRequest();
  EXPECT_TRUE(b.TryRetry(kT0));
  EXPECT_TRUE(b.TryRetry(kT0));
  EXPECT_FALSE(b.TryRetry(kT0));
  EXPECT_TRUE(b.TryRetry(kT0 + absl::Milliseconds(500)));
}

TEST(RetryBudgetTest, UnderSustainedFailureRetriesStayBounded) {
  RetryBudget b({.ratio = 0.2, .min_per_second = 0}, kT0);
  int retries = 0;
  for (int i = 0; i < 10000; ++i) {
    b.OnRequest();
    // Every request fails and would be retried three times.
    for (int r = 0; r < 3; ++r) retries += b.TryRetry(kT0) ? 1 : 0;
  }
  EXPECT_EQ(retries, 2000);  // 20% of 10,000, not 30,000
}

TEST(RetryBudgetTest, ZeroBudgetAllowsNoRetry) {
  RetryBudget b({.ratio = 0, .min_per_second = 0}, kT0);
  for (int i = 0; i < 100; ++i) b.OnRequest();
  EXPECT_FALSE(b.TryRetry(kT0));
  EXPECT_FALSE(b.TryRetry(kT0 + absl::Hours(1)));
}

TEST(RetryBudgetTest, AQuietSpellCannotSaveUpAStorm) {
  RetryBudget b({.ratio = 0.5, .min_per_second = 0}, kT0);
  for (int i = 0; i < 1000000; ++i) b.OnRequest();
  int retries = 0;
  while (b.TryRetry(kT0)) ++retries;
  EXPECT_EQ(retries, 500);  // capped at ratio × 1000
}

}  // namespace
}  // namespace ptc::http
