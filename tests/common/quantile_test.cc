#include "common/quantile.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ptc {
namespace {

TEST(QuantileTest, InterpolatesBetweenClosestRanksLikeNumpy) {
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4, 5}, 0.5), 3);
  EXPECT_DOUBLE_EQ(Quantile({5, 1, 4, 2, 3}, 0.5), 3);  // unsorted input
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4, 5}, 0), 1);
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4, 5}, 1), 5);
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2, 5}, 0.1), 1.4);  // numpy.percentile(..., 10) == 1.4
  // numpy.percentile([0, 10, 20, ..., 100], 95) == 95.
  std::vector<double> v;
  for (int i = 0; i <= 10; ++i) v.push_back(10.0 * i);
  EXPECT_DOUBLE_EQ(Quantile(v, 0.95), 95);
  EXPECT_DOUBLE_EQ(Quantile({7}, 0.95), 7);
  EXPECT_DOUBLE_EQ(Quantile({1, 2}, 7), 2);  // p is clamped to [0, 1]
  EXPECT_TRUE(std::isnan(Quantile({}, 0.5)));
}

}  // namespace
}  // namespace ptc
