#include "aggregators/stop/auto/auto_compute.h"

#include <vector>

#include "gtest/gtest.h"

namespace ptc {
namespace {

std::unique_ptr<StopRule> Inner(const v1::StopRule& config) {
  auto r = CreateStopRule(config);
  EXPECT_TRUE(r.ok()) << r.status();
  return *std::move(r);
}

std::vector<ChainVote> Votes(const std::string& answers) {  // '-' = did not vote
  std::vector<ChainVote> v;
  for (char a : answers) {
    v.push_back(ChainVote{true, a != '-', a == '-' ? "" : std::string(1, a), std::nullopt});
  }
  return v;
}

Tally TallyOf(const std::vector<ChainVote>& votes) {
  Tally t;
  for (size_t i = 0; i < votes.size(); ++i) {
    if (votes[i].voted) t.Add(static_cast<uint32_t>(i), votes[i].answer);
  }
  return t;
}

TEST(AgreementTest, IsTheLeadersShareOfTheVotes) {
  EXPECT_EQ(Agreement(Votes("")), 0);
  EXPECT_EQ(Agreement(Votes("--")), 0);
  EXPECT_EQ(Agreement(Votes("AAAA")), 1);
  EXPECT_EQ(Agreement(Votes("AAB-")), 2.0 / 3);
  EXPECT_EQ(Agreement(Votes("ABCD")), 0.25);
}

TEST(AutoComputeRuleTest, AUnanimousProbeSettlesTheQuestion) {
  AutoComputeRule rule(4, 1.0, Inner(v1::StopRule()));
  EXPECT_EQ(rule.name(), "auto");
  EXPECT_EQ(rule.default_first_wave(), 4u);
  EXPECT_GT(rule.default_wave_size(), 1u << 20);  // then all the rest (fixed N has no waves)
  std::vector<ChainVote> v = Votes("AAA");
  EXPECT_FALSE(rule.Check(TallyOf(v), v).stop);  // the probe is not done
  v = Votes("AAAA");
  const StopCheck c = rule.Check(TallyOf(v), v);
  EXPECT_TRUE(c.stop);
  EXPECT_EQ(c.statistic, 1);
}

TEST(AutoComputeRuleTest, AContestedProbeLeavesTheDecisionToTheRequestsRule) {
  AutoComputeRule fixed(4, 1.0, Inner(v1::StopRule()));
  std::vector<ChainVote> v = Votes("AABAAAAAAAAAAAAA");
  EXPECT_FALSE(fixed.Check(TallyOf(v), v).stop);  // fixed N runs the plan

  v1::StopRule ac;
  ac.mutable_adaptive_consistency();
  AutoComputeRule adaptive(4, 1.0, Inner(ac));
  EXPECT_EQ(adaptive.default_wave_size(), 4u);  // AC's waves after the probe
  v = Votes("AABA");
  EXPECT_FALSE(adaptive.Check(TallyOf(v), v).stop);  // Beta(4, 2): 0.81
  v = Votes("AABAAAAA");
  const StopCheck c = adaptive.Check(TallyOf(v), v);  // 7 to 1: 0.98
  EXPECT_TRUE(c.stop);
  EXPECT_GT(c.statistic, 0.95);
  EXPECT_LT(c.statistic, 1);

  // A lower bar settles a 3-to-1 probe, not a 2-to-2 one (a rule per request: it keeps its
  // probe's agreement).
  AutoComputeRule lenient(4, 0.75, Inner(v1::StopRule()));
  v = Votes("AABA");
  EXPECT_TRUE(lenient.Check(TallyOf(v), v).stop);
  AutoComputeRule lenient_split(4, 0.75, Inner(v1::StopRule()));
  v = Votes("ABAB");
  EXPECT_FALSE(lenient_split.Check(TallyOf(v), v).stop);
  v = Votes("ABABAAAA");
  EXPECT_FALSE(lenient_split.Check(TallyOf(v), v).stop);  // the probe decided: fixed N goes on
}

TEST(AutoComputeRuleTest, ConfidenceSettingsAreTheInnerRules) {
  v1::StopRule dc;
  dc.mutable_deepconf_online()->set_warmup(8);
  dc.mutable_deepconf_online()->set_window_tokens(64);
  AutoComputeRule rule(4, 1.0, Inner(dc));
  EXPECT_EQ(rule.confidence_window(), 64u);
  EXPECT_EQ(rule.protected_chains(), 8u);
}

}  // namespace
}  // namespace ptc
