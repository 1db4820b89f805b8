#include "aggregators/learned/features.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ptc::learned {
namespace {

// Column index by name.
size_t Col(const std::string& name) {
  const std::vector<std::string>& names = FeatureNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

v1::ChainRecord Chain(uint32_t index, const std::string& answer, double lowest = -1,
                      uint64_t completion = 600, const std::string& backend = "sim") {
  v1::ChainRecord r;
  r.set_index(index);
  r.set_status(v1::CHAIN_STATUS_OK);
  r.set_parseable(!answer.empty());
  r.set_answer(answer);
  r.set_finish_reason("stop");
  r.set_backend(backend);
  r.set_model("m");
  r.mutable_usage()->set_completion_tokens(completion);
  if (lowest >= 0) {
    v1::ChainConfidence* c = r.mutable_confidence();
    c->set_tokens(completion);
    c->set_window_tokens(64);
    c->set_lowest_group(lowest);
    c->set_bottom_10(lowest + 0.1);
    c->set_tail(lowest + 0.5);
    c->set_mean_token(lowest + 0.8);
  }
  return r;
}

// The tally the Run keeps for these chains, and the SelectionInput over them.
struct Input {
  std::vector<v1::ChainRecord> chains;
  Tally tally;
  VerificationOutcome verification;
  bool verified = false;
  SelectionInput Get() {
    tally = Tally();
    for (const v1::ChainRecord& c : chains) {
      if (c.status() != v1::CHAIN_STATUS_OK) continue;
      if (c.parseable()) {
        tally.Add(c.index(), c.answer());
      } else {
        tally.AddUnparseable();
      }
    }
    SelectionInput in{tally, {}};
    for (const v1::ChainRecord& c : chains) in.chains.push_back(&c);
    if (verified) in.verification = &verification;
    return in;
  }
};

TEST(FeaturesTest, EveryCandidateHasOneValuePerFeatureName) {
  EXPECT_EQ(FeatureNames().size(), 26u);
  Input in;
  in.chains = {Chain(0, "A", 1.0), Chain(1, "B", 2.0), Chain(2, "A", 1.5)};
  const std::vector<CandidateFeatures> f = ComputeFeatures(in.Get());
  ASSERT_EQ(f.size(), 2u);
  for (const CandidateFeatures& c : f) EXPECT_EQ(c.values.size(), FeatureNames().size());
  EXPECT_EQ(FeatureRows(f).size(), 2 * FeatureNames().size());
}

TEST(FeaturesTest, VotesShareRankAndMargin) {
  Input in;
  in.chains = {Chain(0, "B"), Chain(1, "A"), Chain(2, "A"),
               Chain(3, "C"), Chain(4, ""),  Chain(5, "A")};
  in.chains[4].set_parseable(false);
  v1::ChainRecord failed = Chain(6, "");
  failed.set_status(v1::CHAIN_STATUS_FAILED);
  failed.set_parseable(false);
  in.chains.push_back(failed);
  const std::vector<CandidateFeatures> f = ComputeFeatures(in.Get());
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].answer, "A");  // by votes, then the earliest chain: B (chain 0) before C
  EXPECT_EQ(f[1].answer, "B");
  EXPECT_EQ(f[2].answer, "C");
  EXPECT_EQ(f[0].votes, 3u);
  EXPECT_EQ(f[1].first_chain, 0u);
  EXPECT_FLOAT_EQ(f[0].values[Col("vote_share")], 3.0f / 5);
  EXPECT_FLOAT_EQ(f[0].values[Col("votes")], 3);
  EXPECT_FLOAT_EQ(f[0].values[Col("log2_chains")], std::log2(7.0f));
  EXPECT_FLOAT_EQ(f[2].values[Col("rank")], 2);
  EXPECT_FLOAT_EQ(f[0].values[Col("share_margin")], 2.0f / 5);
  EXPECT_FLOAT_EQ(f[1].values[Col("share_margin")], -2.0f / 5);
  EXPECT_FLOAT_EQ(f[0].values[Col("candidates")], 3);
  EXPECT_FLOAT_EQ(f[0].values[Col("unparseable_frac")], 1.0f / 7);
  EXPECT_FLOAT_EQ(f[0].values[Col("failed_frac")], 1.0f / 7);
  EXPECT_FLOAT_EQ(f[0].values[Col("answer_chars")], 1);
}

TEST(FeaturesTest, ConfidenceIsRelativeToTheVotersAndMissingWithoutStatistics) {
  Input in;
  in.chains = {Chain(0, "A", 1.0), Chain(1, "A", 2.0), Chain(2, "B", 3.0), Chain(3, "B")};
  const std::vector<CandidateFeatures> f = ComputeFeatures(in.Get());
  ASSERT_EQ(f.size(), 2u);
  const CandidateFeatures& a = f[0];
  const CandidateFeatures& b = f[1];
  EXPECT_FLOAT_EQ(a.values[Col("conf_coverage")], 1);
  EXPECT_FLOAT_EQ(b.values[Col("conf_coverage")], 0.5);
  EXPECT_FLOAT_EQ(a.values[Col("conf_lowest_mean")], 1.5);
  EXPECT_FLOAT_EQ(a.values[Col("conf_lowest_max")], 2.0);
  EXPECT_FLOAT_EQ(a.values[Col("conf_lowest_rel")], 1.5 - 2.0);  // voters' mean: (1 + 2 + 3) / 3
  EXPECT_FLOAT_EQ(b.values[Col("conf_lowest_rel")], 3.0 - 2.0);
  EXPECT_FLOAT_EQ(a.values[Col("conf_tail_rel")], -0.5);
  EXPECT_FLOAT_EQ(a.values[Col("conf_weighted_share")], 3.0 / 6);
  EXPECT_FLOAT_EQ(a.values[Col("conf_top_half_share")], 0.5);  // top 2 of 3: chains 2 and 1

  Input none;
  none.chains = {Chain(0, "A"), Chain(1, "B")};
  for (const CandidateFeatures& c : ComputeFeatures(none.Get())) {
    for (const char* name : {"conf_lowest_mean", "conf_lowest_rel", "conf_weighted_share",
                             "conf_top_half_share", "verifier_score", "verifier_rel"}) {
      EXPECT_TRUE(std::isnan(c.values[Col(name)])) << name;
    }
    EXPECT_FLOAT_EQ(c.values[Col("conf_coverage")], 0);
    EXPECT_FLOAT_EQ(c.values[Col("verifier_present")], 0);
  }
}

TEST(FeaturesTest, LengthsFinishReasonsAndBackends) {
  Input in;
  in.chains = {Chain(0, "A", -1, 300, "x"), Chain(1, "A", -1, 300, "y"),
               Chain(2, "B", -1, 900, "x")};
  in.chains[2].set_finish_reason("length");
  in.chains[2].mutable_usage()->set_reasoning_tokens(99);
  const std::vector<CandidateFeatures> f = ComputeFeatures(in.Get());
  ASSERT_EQ(f.size(), 2u);
  // Voters' mean output: (300 + 300 + 999) / 3 = 533; completion: 500.
  EXPECT_NEAR(f[0].values[Col("output_tokens_rel")], std::log(301.0 / 534.0), 1e-5);
  EXPECT_NEAR(f[1].values[Col("completion_tokens_rel")], std::log(901.0 / 501.0), 1e-5);
  EXPECT_NEAR(f[1].values[Col("reasoning_tokens_log")], std::log(100.0), 1e-5);
  EXPECT_FLOAT_EQ(f[0].values[Col("truncated_frac")], 0);
  EXPECT_FLOAT_EQ(f[1].values[Col("truncated_frac")], 1);
  EXPECT_FLOAT_EQ(f[0].values[Col("backend_agreement")], 1);  // x/m and y/m of 2
  EXPECT_FLOAT_EQ(f[1].values[Col("backend_agreement")], 0.5);
}

TEST(FeaturesTest, VerifierScoresWhenGraded) {
  Input in;
  in.chains = {Chain(0, "A"), Chain(1, "B"), Chain(2, "C")};
  in.verified = true;
  in.verification.grades = {
      {"A", 0, 0.9, ""}, {"B", 1, std::nullopt, "timeout"}, {"C", 2, 0.3, ""}};
  const std::vector<CandidateFeatures> f = ComputeFeatures(in.Get());
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].verifier, 0.9);
  EXPECT_FALSE(f[1].verifier.has_value());
  EXPECT_FLOAT_EQ(f[0].values[Col("verifier_present")], 1);
  EXPECT_FLOAT_EQ(f[0].values[Col("verifier_score")], 0.9f);
  EXPECT_FLOAT_EQ(f[0].values[Col("verifier_rel")], 0.9f - 0.6f);
  EXPECT_FLOAT_EQ(f[1].values[Col("verifier_present")], 0);
  EXPECT_TRUE(std::isnan(f[1].values[Col("verifier_score")]));
}

TEST(FeaturesTest, DegenerateInputs) {
  Input unparseable;
  unparseable.chains = {Chain(0, ""), Chain(1, "")};
  for (auto& c : unparseable.chains) c.set_parseable(false);
  EXPECT_TRUE(ComputeFeatures(unparseable.Get()).empty());

  Input failed;
  failed.chains = {Chain(0, "A"), Chain(1, "B")};
  for (auto& c : failed.chains) c.set_status(v1::CHAIN_STATUS_FAILED);
  EXPECT_TRUE(ComputeFeatures(failed.Get()).empty());

  Input one;
  one.chains = {Chain(0, "D", 1.0)};
  const std::vector<CandidateFeatures> f = ComputeFeatures(one.Get());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FLOAT_EQ(f[0].values[Col("vote_share")], 1);
  EXPECT_FLOAT_EQ(f[0].values[Col("share_margin")], 1);
  EXPECT_FLOAT_EQ(f[0].values[Col("conf_lowest_rel")], 0);
  EXPECT_FLOAT_EQ(f[0].values[Col("log2_chains")], 0);

  // A tally without chain records (counts from the tally, chain features missing).
  Tally t;
  t.Add(0, "A");
  t.AddUnparseable();
  const std::vector<CandidateFeatures> bare = ComputeFeatures(SelectionInput{t, {}});
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_FLOAT_EQ(bare[0].values[Col("unparseable_frac")], 0.5);
  EXPECT_TRUE(std::isnan(bare[0].values[Col("conf_coverage")]));
}

TEST(FeaturesTest, RankByProbabilityBreaksTiesByVotesThenEarliestChain) {
  Input in;
  in.chains = {Chain(0, "B"), Chain(1, "A"), Chain(2, "A"), Chain(3, "C")};
  const std::vector<CandidateFeatures> f = ComputeFeatures(in.Get());  // A, B, C
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(RankByProbability(f, {0.2, 0.9, 0.5}), (std::vector<size_t>{1, 2, 0}));
  EXPECT_EQ(RankByProbability(f, {0.5, 0.5, 0.5}), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(RankByProbability(f, {0.1, 0.5, 0.5}), (std::vector<size_t>{1, 2, 0}));  // B: chain 0
}

}  // namespace
}  // namespace ptc::learned
