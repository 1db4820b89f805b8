#include "aggregators/confidence/confidence_tracker.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace ptc {
namespace {

TEST(ConfidenceTrackerTest, NoLogprobsMeansNoStats) {
  ConfidenceTracker t(4);
  ChainDelta d;
  d.tokens = 3;  // a delta without log-probabilities
  t.Add(d);
  EXPECT_EQ(t.tokens(), 0u);
  EXPECT_FALSE(t.Stats().has_value());
  EXPECT_EQ(t.current_group(), 0);
}

TEST(ConfidenceTrackerTest, TokenConfidenceIsMinusMeanOfTopK) {
  ConfidenceTracker t(8);
  // Two tokens, top-2: C0 = -(-1 + -3) / 2 = 2, C1 = -(-0.5 + -1.5) / 2 = 1.
  const std::vector<float> top = {-1, -3, -0.5f, -1.5f};
  const std::vector<float> sampled = {-1, -0.5f};
  ChainDelta d;
  d.tokens = 2;
  d.logprobs = sampled;
  d.top_logprobs = top;
  d.top_k = 2;
  t.Add(d);
  auto s = t.Stats();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->tokens(), 2u);
  EXPECT_DOUBLE_EQ(s->mean_token(), 1.5);
}

TEST(ConfidenceTrackerTest, FallsBackToSampledTokenWithoutTopK) {
  ConfidenceTracker t(8);
  const std::vector<float> sampled = {-2, -4};
  ChainDelta d;
  d.tokens = 2;
  d.logprobs = sampled;
  t.Add(d);
  EXPECT_DOUBLE_EQ(t.Stats()->mean_token(), 3);
}

TEST(ConfidenceTrackerTest, ShorterThanWindowIsOneGroup) {
  ConfidenceTracker t(10);
  for (double c : {1.0, 2.0, 4.0}) t.AddToken(c);
  auto s = t.Stats();
  EXPECT_EQ(s->window_tokens(), 10u);
  EXPECT_NEAR(s->mean_token(), 7.0 / 3, 1e-6);
  EXPECT_NEAR(s->lowest_group(), 7.0 / 3, 1e-6);
  EXPECT_NEAR(s->bottom_10(), 7.0 / 3, 1e-6);
  EXPECT_NEAR(s->tail(), 7.0 / 3, 1e-6);
  EXPECT_NEAR(t.current_group(), 7.0 / 3, 1e-6);
}

TEST(ConfidenceTrackerTest, SlidingWindowGroupsByHand) {
  // Window 3 over 3 3 3 0 0 3 3 3 3 3 3 3: groups (means of 3 consecutive) are
  // 3, 2, 1, 1, 2, 3, 3, 3, 3, 3 -> lowest 1; 10 groups, bottom 10% = the 1 lowest = 1.
  ConfidenceTracker t(3);
  for (double c : {3, 3, 3, 0, 0, 3, 3, 3, 3, 3, 3, 3}) t.AddToken(c);
  auto s = t.Stats();
  EXPECT_NEAR(s->mean_token(), 30.0 / 12, 1e-9);
  EXPECT_NEAR(s->lowest_group(), 1, 1e-9);
  EXPECT_NEAR(s->bottom_10(), 1, 1e-9);
  EXPECT_NEAR(s->tail(), 3, 1e-9);  // the last 3 tokens
  EXPECT_NEAR(t.current_group(), 3, 1e-9);
}

TEST(ConfidenceTrackerTest, BottomTenPercentTakesTheCeilingOfGroups) {
  // Window 1: every token is a group. 11 groups -> ceil(1.1) = 2 lowest: (0.5 + 1) / 2.
  ConfidenceTracker t(1);
  for (double c : {5.0, 0.5, 4.0, 1.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0}) t.AddToken(c);
  EXPECT_NEAR(t.Stats()->bottom_10(), 0.75, 1e-6);
  EXPECT_NEAR(t.Stats()->lowest_group(), 0.5, 1e-6);
}

TEST(ConfidenceTrackerTest, CurrentGroupFollowsTheStream) {
  ConfidenceTracker t(2);
  t.AddToken(4);
  EXPECT_NEAR(t.current_group(), 4, 1e-9);
  t.AddToken(2);
  EXPECT_NEAR(t.current_group(), 3, 1e-9);
  t.AddToken(0);
  EXPECT_NEAR(t.current_group(), 1, 1e-9);
}

TEST(ConfidenceTrackerTest, InfiniteLogprobIsCapped) {
  ConfidenceTracker t(4);
  t.AddToken(INFINITY);
  t.AddToken(1);
  EXPECT_NEAR(t.Stats()->mean_token(), (kMaxTokenConfidence + 1) / 2, 1e-9);
}

// The histogram approximation of the bottom-10% mean against the exact value on long random
// chains: within one bin width, as documented.
TEST(ConfidenceTrackerTest, BottomTenPercentApproximationWithinOneBin) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.8);
  double worst = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const uint32_t window = 16 + trial * 7;
    ConfidenceTracker t(window);
    std::vector<double> c;
    for (int i = 0; i < 3000; ++i) {
      const double dip = (i / 300) % 3 == 1 ? -0.8 : 0;  // low stretches
      c.push_back(static_cast<float>(std::max(0.0, 2.0 + dip + noise(rng))));
      t.AddToken(c.back());
    }
    std::vector<double> groups;
    for (size_t e = window; e <= c.size(); ++e) {
      groups.push_back(std::accumulate(c.begin() + (e - window), c.begin() + e, 0.0) / window);
    }
    std::sort(groups.begin(), groups.end());
    const size_t k = (groups.size() + 9) / 10;
    const double exact = std::accumulate(groups.begin(), groups.begin() + k, 0.0) / k;
    auto s = t.Stats();
    EXPECT_NEAR(s->lowest_group(), groups.front(), 1e-6);
    const double err = std::abs(s->bottom_10() - exact);
    worst = std::max(worst, err);
    EXPECT_LE(err, ConfidenceTracker::kBinWidth) << "window " << window;
  }
  std::printf("worst bottom-10%% error: %.5f (bin width %.5f)\n", worst,
              ConfidenceTracker::kBinWidth);
}

TEST(ConfidenceTrackerTest, MeasuresByName) {
  v1::ChainConfidence c;
  c.set_mean_token(1);
  c.set_lowest_group(2);
  c.set_bottom_10(3);
  c.set_tail(4);
  EXPECT_EQ(ConfidenceValue(c, v1::MEAN_TOKEN), 1);
  EXPECT_EQ(ConfidenceValue(c, v1::LOWEST_GROUP), 2);
  EXPECT_EQ(ConfidenceValue(c, v1::CONFIDENCE_MEASURE_UNSPECIFIED), 2);
  EXPECT_EQ(ConfidenceValue(c, v1::BOTTOM_10), 3);
  EXPECT_EQ(ConfidenceValue(c, v1::TAIL), 4);
  EXPECT_STREQ(ConfidenceMeasureName(v1::CONFIDENCE_MEASURE_UNSPECIFIED), "lowest_group");
}

}  // namespace
}  // namespace ptc
