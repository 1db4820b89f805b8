#include <functional>
#include <optional>
#include <vector>

#include "aggregators/stop/adaptive_consistency/adaptive_consistency.h"
#include "aggregators/stop/deepconf_online/deepconf_online.h"
#include "aggregators/stop_rule.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

std::unique_ptr<StopRule> Rule(const v1::StopRule& config) {
  auto r = CreateStopRule(config);
  EXPECT_TRUE(r.ok()) << r.status();
  return *std::move(r);
}

TEST(BetaLeaderProbabilityTest, MatchesTheClosedForm) {
  // With b = 0, P(x > 1/2) for Beta(a + 1, 1) is 1 - 2^-(a+1).
  for (uint32_t a = 0; a < 20; ++a) {
    EXPECT_NEAR(BetaLeaderProbability(a, 0), 1 - std::pow(0.5, a + 1), 1e-12) << a;
  }
  EXPECT_NEAR(BetaLeaderProbability(3, 3), 0.5, 1e-12);  // symmetric
  // Beta(4, 2): P(x > 1/2) = 1 - I_{1/2}(4, 2) = 26/32.
  EXPECT_NEAR(BetaLeaderProbability(3, 1), 26.0 / 32.0, 1e-12);
  // Large counts stay finite and monotone.
  EXPECT_GT(BetaLeaderProbability(600, 500), 0.99);
  EXPECT_LT(BetaLeaderProbability(500, 600), 0.01);
}

TEST(StopRulesTest, UnsetIsFixedAndNeverStops) {
  auto rule = Rule(v1::StopRule());
  EXPECT_EQ(rule->name(), "fixed");
  EXPECT_EQ(rule->default_wave_size(), 0u);
  Tally t;
  for (uint32_t i = 0; i < 50; ++i) t.Add(i, "A");
  std::vector<ChainVote> votes(50, ChainVote{true, true, "A", std::nullopt});
  EXPECT_FALSE(rule->Check(t, votes).stop);
}

TEST(StopRulesTest, AdaptiveConsistencyStopsOnTheBetaCriterion) {
  v1::StopRule config;
  config.mutable_adaptive_consistency();  // threshold 0.95
  auto rule = Rule(config);
  Tally t;
  std::vector<ChainVote> votes(40);
  // 3 unanimous votes: 1 - 1/16 = 0.9375 < 0.95; the 4th: 0.96875.
  for (uint32_t i = 0; i < 3; ++i) t.Add(i, "B");
  StopCheck c = rule->Check(t, votes);
  EXPECT_FALSE(c.stop);
  EXPECT_NEAR(c.statistic, 0.9375, 1e-12);
  t.Add(3, "B");
  c = rule->Check(t, votes);
  EXPECT_TRUE(c.stop);
  EXPECT_NEAR(c.statistic, 0.96875, 1e-12);
  // A contested tally does not stop.
  Tally contested;
  for (uint32_t i = 0; i < 10; ++i) contested.Add(i, i % 2 ? "A" : "C");
  EXPECT_FALSE(rule->Check(contested, votes).stop);
}

TEST(StopRulesTest, AdaptiveConsistencyThresholdIsChecked) {
  v1::StopRule config;
  config.mutable_adaptive_consistency()->set_threshold(1.5);
  auto r = CreateStopRule(config);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr("stop.adaptive_consistency.threshold"));
}

TEST(StopRulesTest, EscStopsAtTheFirstFinishedUnanimousWindow) {
  v1::StopRule config;
  config.mutable_esc()->set_window(3);
  auto rule = Rule(config);
  EXPECT_EQ(rule->default_wave_size(), 3u);
  Tally t;
  std::vector<ChainVote> votes(9);
  auto vote = [&](uint32_t i, const char* a) { votes[i] = ChainVote{true, true, a, std::nullopt}; };
  vote(0, "A");
  vote(1, "B");
  vote(2, "A");  // window 0 disagrees
  vote(3, "C");
  vote(4, "C");  // window 1 not finished
  EXPECT_FALSE(rule->Check(t, votes).stop);
  votes[5] = ChainVote{true, false, "", std::nullopt};  // finished unparseable: no agreement
  EXPECT_FALSE(rule->Check(t, votes).stop);
  vote(6, "D");
  vote(7, "D");
  vote(8, "D");
  StopCheck c = rule->Check(t, votes);
  EXPECT_TRUE(c.stop);
  EXPECT_EQ(c.statistic, 2);  // the third window
}

TEST(StopRulesTest, DeepConfOnlineWarmsUpThenSetsTheThresholdAndStopsOnWeightedConsensus) {
  v1::StopRule config;
  auto* d = config.mutable_deepconf_online();
  d->set_warmup(4);
  d->set_keep_percent(75);  // threshold: the 25th percentile of the warm-up
  d->set_consensus(0.9);
  d->set_window_tokens(64);
  auto rule = Rule(config);
  EXPECT_EQ(rule->name(), "deepconf_online");
  EXPECT_EQ(rule->default_first_wave(), 4u);
  EXPECT_EQ(rule->default_wave_size(), 1u);
  EXPECT_EQ(rule->confidence_window(), 64u);
  EXPECT_EQ(rule->protected_chains(), 4u);
  Tally t;
  std::vector<ChainVote> votes;
  auto vote = [&](const char* a, std::optional<double> c) {
    votes.push_back(ChainVote{true, a[0] != 0, a, c});
  };
  vote("A", 2.0);
  vote("A", 4.0);
  vote("A", 6.0);
  // Before the warm-up is done: no threshold, no stop, even though all agree.
  EXPECT_EQ(rule->CutThreshold(votes), std::nullopt);
  EXPECT_FALSE(rule->Check(t, votes).stop);
  vote("B", 8.0);
  ASSERT_TRUE(rule->CutThreshold(votes).has_value());
  EXPECT_DOUBLE_EQ(*rule->CutThreshold(votes), 3.5);  // 25th percentile of {2, 4, 6, 8}
  // Weighted share of A: 12 / 20 = 0.6.
  StopCheck c = rule->Check(t, votes);
  EXPECT_FALSE(c.stop);
  EXPECT_DOUBLE_EQ(c.statistic, 0.6);
  // A cut chain (finished, no vote) changes nothing; confident A votes reach 0.9.
  vote("", std::nullopt);
  EXPECT_DOUBLE_EQ(rule->Check(t, votes).statistic, 0.6);
  vote("A", 30.0);
  vote("A", 30.0);
  c = rule->Check(t, votes);
  EXPECT_TRUE(c.stop);
  EXPECT_DOUBLE_EQ(c.statistic, 72.0 / 80.0);
}

TEST(StopRulesTest, DeepConfOnlineWithoutConfidenceCutsNothingAndCountsVotes) {
  v1::StopRule config;
  config.mutable_deepconf_online()->set_warmup(2);
  auto rule = Rule(config);
  Tally t;
  std::vector<ChainVote> votes(2, ChainVote{true, true, "C", std::nullopt});
  EXPECT_EQ(rule->CutThreshold(votes), std::nullopt);
  EXPECT_TRUE(rule->Check(t, votes).stop);  // 2 of 2 plain votes
}

TEST(StopRulesTest, DeepConfOnlineSettingsAreChecked) {
  for (auto set : std::vector<std::function<void(v1::StopRule::DeepConfOnline*)>>{
           [](auto* d) { d->set_keep_percent(120); }, [](auto* d) { d->set_consensus(0.5); },
           [](auto* d) { d->set_warmup(5000); }, [](auto* d) { d->set_window_tokens(1 << 20); }}) {
    v1::StopRule config;
    set(config.mutable_deepconf_online());
    auto r = CreateStopRule(config);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("stop.deepconf_online."));
  }
}

TEST(StopRulesTest, UnknownRuleSettingsAreErrors) {
  v1::StopRule config;
  config.mutable_esc()->set_window(5000);
  EXPECT_FALSE(CreateStopRule(config).ok());
}

}  // namespace
}  // namespace ptc
