// The `weighted` and `filtered` strategies through the registry, on hand-built chain records.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aggregators/aggregator.h"
#include "aggregators/confidence/confidence_tracker.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

struct Chains {
  std::vector<v1::ChainRecord> records;
  Tally tally;

  // An OK chain; empty answer = unparseable; no confidence when `lowest` is unset.
  void Add(const std::string& answer, std::optional<double> lowest, double mean = 1.0) {
    v1::ChainRecord& r = records.emplace_back();
    r.set_index(static_cast<uint32_t>(records.size() - 1));
    r.set_status(v1::CHAIN_STATUS_OK);
    r.set_parseable(!answer.empty());
    r.set_answer(answer);
    if (lowest) {
      r.mutable_confidence()->set_lowest_group(*lowest);
      r.mutable_confidence()->set_mean_token(mean);
      r.mutable_confidence()->set_tokens(100);
    }
    if (answer.empty()) {
      tally.AddUnparseable();
    } else {
      tally.Add(r.index(), answer);
    }
  }
  void AddFailed() {
    v1::ChainRecord& r = records.emplace_back();
    r.set_index(static_cast<uint32_t>(records.size() - 1));
    r.set_status(v1::CHAIN_STATUS_FAILED);
  }
  SelectionInput Input() const {
    SelectionInput in{tally, {}};
    for (const auto& r : records) in.chains.push_back(&r);
    return in;
  }
};

std::unique_ptr<Aggregator> Make(const v1::Aggregation& a) {
  auto agg = CreateAggregator(a);
  EXPECT_TRUE(agg.ok()) << agg.status();
  return agg.ok() ? *std::move(agg) : nullptr;
}

std::unique_ptr<Aggregator> Weighted(v1::ConfidenceMeasure m = v1::LOWEST_GROUP) {
  v1::Aggregation a;
  a.mutable_weighted()->set_measure(m);
  return Make(a);
}

std::unique_ptr<Aggregator> Filtered(double keep_percent) {
  v1::Aggregation a;
  a.mutable_filtered()->set_keep_percent(keep_percent);
  return Make(a);
}

TEST(ConfidenceVoteTest, NamesAndLogprobs) {
  EXPECT_EQ(Weighted()->name(), "weighted");
  EXPECT_TRUE(Weighted()->wants_logprobs());
  EXPECT_EQ(Weighted()->confidence_window(), 2048u);
  EXPECT_EQ(Filtered(0)->name(), "filtered");
  EXPECT_TRUE(Filtered(0)->wants_logprobs());
  v1::Aggregation a;
  a.mutable_filtered()->set_window_tokens(64);
  EXPECT_EQ(Make(a)->confidence_window(), 64u);
}

TEST(ConfidenceVoteTest, ConfidentMinorityOutweighsUnsureMajority) {
  Chains c;
  c.Add("A", 0.5);
  c.Add("A", 0.5);
  c.Add("B", 2.0);
  Selection s = Weighted()->Select(c.Input());
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "B");
  EXPECT_DOUBLE_EQ(s.confidence, 2.0 / 3.0);
  ASSERT_EQ(s.candidates.size(), 2u);
  EXPECT_EQ(s.candidates[0].votes(), 1u);
  EXPECT_DOUBLE_EQ(s.candidates[0].weight(), 2.0);
  EXPECT_DOUBLE_EQ(s.candidates[1].weight(), 1.0);
  EXPECT_DOUBLE_EQ(s.candidates[1].share(), 2.0 / 3.0);
  EXPECT_EQ(s.chain_weights, (std::vector<double>{0.5, 0.5, 2.0}));
  EXPECT_NE(s.rule.find("lowest_group"), std::string::npos) << s.rule;
}

TEST(ConfidenceVoteTest, MeasureChoosesTheWeight) {
  Chains c;
  c.Add("A", 0.5, /*mean=*/3.0);
  c.Add("B", 2.0, /*mean=*/1.0);
  EXPECT_EQ(Weighted(v1::LOWEST_GROUP)->Select(c.Input()).answer, "B");
  EXPECT_EQ(Weighted(v1::MEAN_TOKEN)->Select(c.Input()).answer, "A");
}

TEST(ConfidenceVoteTest, FilterKeepsTheMostConfident) {
  Chains c;  // 10 voters; keep 30% = 3: the B chains (2.0, 1.9) and the best A (1.5)
  for (int i = 0; i < 8; ++i) c.Add("A", i == 0 ? 1.5 : 0.5);
  c.Add("B", 2.0);
  c.Add("B", 1.9);
  Selection s = Filtered(30)->Select(c.Input());
  EXPECT_EQ(s.answer, "B");
  ASSERT_EQ(s.candidates.size(), 2u);
  EXPECT_EQ(s.candidates[0].votes(), 2u);
  EXPECT_EQ(s.candidates[1].votes(), 1u);
  EXPECT_DOUBLE_EQ(s.candidates[0].share(), 2.0 / 3.0);
  int kept = 0;
  for (double w : s.chain_weights) kept += w > 0;
  EXPECT_EQ(kept, 3);
  EXPECT_NE(s.rule.find("kept the 3 of 10"), std::string::npos) << s.rule;
  // Without the filter the many unsure A chains win.
  EXPECT_EQ(Weighted()->Select(c.Input()).answer, "A");
  // Default 90% of 10 keeps 9: drops one 0.5 A; A (4.5) still beats B (3.9).
  EXPECT_EQ(Filtered(0)->Select(c.Input()).answer, "A");
}

TEST(ConfidenceVoteTest, FilterKeepsAtLeastOneChain) {
  Chains c;
  c.Add("A", 1.0);
  c.Add("B", 3.0);
  c.Add("C", 2.0);
  Selection s = Filtered(1)->Select(c.Input());
  EXPECT_EQ(s.answer, "B");
  EXPECT_EQ(s.candidates.size(), 1u);
  EXPECT_DOUBLE_EQ(s.confidence, 1.0);
}

TEST(ConfidenceVoteTest, OneChain) {
  for (auto* agg : {Weighted().release(), Filtered(10).release()}) {
    std::unique_ptr<Aggregator> owned(agg);
    Chains c;
    c.Add("D", 0.7);
    Selection s = owned->Select(c.Input());
    EXPECT_EQ(s.answer, "D");
    EXPECT_DOUBLE_EQ(s.confidence, 1.0);
  }
}

TEST(ConfidenceVoteTest, TiesGoToTheEarliestChainInThePlan) {
  Chains c;
  c.Add("B", 1.0);
  c.Add("A", 1.0);
  EXPECT_EQ(Weighted()->Select(c.Input()).answer, "B");
  // Filtering ties on confidence keep the earlier chain too.
  EXPECT_EQ(Filtered(50)->Select(c.Input()).answer, "B");
  Chains reversed;
  reversed.Add("A", 1.0);
  reversed.Add("B", 1.0);
  EXPECT_EQ(Weighted()->Select(reversed.Input()).answer, "A");
}

TEST(ConfidenceVoteTest, AllUnparseableOrFailedMeansNoAnswer) {
  Chains c;
  c.Add("", 1.0);
  c.Add("", 2.0);
  c.AddFailed();
  for (auto* agg : {Weighted().release(), Filtered(50).release()}) {
    std::unique_ptr<Aggregator> owned(agg);
    Selection s = owned->Select(c.Input());
    EXPECT_FALSE(s.answered);
    EXPECT_TRUE(s.candidates.empty());
    EXPECT_EQ(s.chain_weights, (std::vector<double>{0, 0, 0}));
  }
  Chains failed;
  failed.AddFailed();
  failed.AddFailed();
  EXPECT_FALSE(Filtered(0)->Select(failed.Input()).answered);
  Chains none;
  EXPECT_FALSE(Weighted()->Select(none.Input()).answered);
}

TEST(ConfidenceVoteTest, FailedAndUnparseableChainsDoNotVote) {
  Chains c;
  c.AddFailed();
  c.Add("", 9.0);
  c.Add("C", 0.2);
  Selection s = Weighted()->Select(c.Input());
  EXPECT_EQ(s.answer, "C");
  EXPECT_EQ(s.chain_weights, (std::vector<double>{0, 0, 0.2}));
}

TEST(ConfidenceVoteTest, NoLogprobsFallsBackToAPlainVoteAndSaysSo) {
  Chains c;
  c.Add("A", std::nullopt);
  c.Add("B", std::nullopt);
  c.Add("B", std::nullopt);
  for (auto* agg : {Weighted().release(), Filtered(10).release()}) {
    std::unique_ptr<Aggregator> owned(agg);
    Selection s = owned->Select(c.Input());
    EXPECT_EQ(s.answer, "B");
    EXPECT_DOUBLE_EQ(s.confidence, 2.0 / 3.0);
    EXPECT_NE(s.rule.find("no chain had log-probabilities"), std::string::npos) << s.rule;
    EXPECT_EQ(s.chain_weights, (std::vector<double>{1, 1, 1}));
  }
}

TEST(ConfidenceVoteTest, ChainsWithoutLogprobsTakeTheMeanConfidence) {
  Chains c;
  c.Add("A", 1.0);
  c.Add("B", 3.0);
  c.Add("A", std::nullopt);  // counts as 2.0: A = 3.0 vs B = 3.0, tie to chain 0's A
  Selection s = Weighted()->Select(c.Input());
  EXPECT_EQ(s.answer, "A");
  EXPECT_DOUBLE_EQ(s.chain_weights[2], 2.0);
  EXPECT_NE(s.rule.find("without log-probabilities"), std::string::npos) << s.rule;
}

TEST(ConfidenceVoteTest, ZeroConfidenceStillVotes) {
  Chains c;
  c.Add("A", 0.0);
  Selection s = Weighted()->Select(c.Input());
  EXPECT_EQ(s.answer, "A");
  EXPECT_GT(s.chain_weights[0], 0);
}

TEST(ConfidenceVoteTest, BadConfigNamesTheField) {
  auto expect_error = [](const v1::Aggregation& a, const std::string& field) {
    auto agg = CreateAggregator(a);
    ASSERT_FALSE(agg.ok());
    EXPECT_EQ(agg.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(agg.status().message().find(field), std::string::npos) << agg.status();
  };
  v1::Aggregation a;
  for (double bad : {-1.0, 100.5, std::nan("")}) {
    a.mutable_filtered()->set_keep_percent(bad);
    expect_error(a, "aggregation.filtered.keep_percent");
  }
  a.mutable_filtered()->set_keep_percent(100);
  EXPECT_TRUE(CreateAggregator(a).ok());
  a.mutable_filtered()->set_window_tokens(kMaxConfidenceWindow + 1);
  expect_error(a, "aggregation.filtered.window_tokens");
  v1::Aggregation w;
  w.mutable_weighted()->set_window_tokens(kMaxConfidenceWindow + 1);
  expect_error(w, "aggregation.weighted.window_tokens");
  w.mutable_weighted()->set_window_tokens(0);
  w.mutable_weighted()->set_measure(static_cast<v1::ConfidenceMeasure>(42));
  expect_error(w, "aggregation.weighted.measure");
}

}  // namespace
}  // namespace ptc
