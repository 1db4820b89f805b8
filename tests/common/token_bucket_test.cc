#include "common/token_bucket.h"

#include "gtest/gtest.h"

namespace ptc {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(TokenBucketTest, BurstThenRate) {
  TokenBucket b(/*rate=*/2, /*burst=*/3, kT0);
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_FALSE(b.TryTake(kT0));
  EXPECT_EQ(b.TimeToNext(kT0), absl::Milliseconds(500));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Milliseconds(499)));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Milliseconds(500)));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Milliseconds(500)));
  // Refills up to the burst, no further.
  const absl::Time later = kT0 + absl::Seconds(100);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.TryTake(later)) << i;
  EXPECT_FALSE(b.TryTake(later));
}

TEST(TokenBucketTest, ZeroRateIsUnlimited) {
  TokenBucket b(0, 1, kT0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(b.TryTake(kT0));
  EXPECT_EQ(b.TimeToNext(kT0), absl::ZeroDuration());
}

TEST(TokenBucketTest, ClockGoingBackwardsAddsNothing) {
  TokenBucket b(1, 1, kT0);
  EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_FALSE(b.TryTake(kT0 - absl::Seconds(10)));
  EXPECT_FALSE(b.TryTake(kT0));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Seconds(1)));
}

}  // namespace
}  // namespace ptc
