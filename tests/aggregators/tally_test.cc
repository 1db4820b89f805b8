#include "aggregators/tally.h"

#include "gtest/gtest.h"

namespace ptc {
namespace {

TEST(TallyTest, CountsVotesAndUnparseableApart) {
  Tally t;
  t.Add(0, "A");
  t.Add(1, "B");
  t.Add(2, "A");
  t.AddUnparseable();
  EXPECT_EQ(t.parseable(), 3u);
  EXPECT_EQ(t.unparseable(), 1u);
  auto ranked = t.RankedByVotes();
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].answer, "A");
  EXPECT_EQ(ranked[0].votes, 2u);
  EXPECT_EQ(ranked[1].answer, "B");
}

TEST(TallyTest, TieGoesToTheEarliestChainInThePlanWhateverTheArrivalOrder) {
  // Chains 5 and 2 say "C", chains 1 and 7 say "D": D's earliest chain (1) beats C's (2).
  Tally forward, backward;
  const std::vector<std::pair<uint32_t, std::string>> votes = {
      {5, "C"}, {2, "C"}, {1, "D"}, {7, "D"}};
  for (const auto& [i, a] : votes) forward.Add(i, a);
  for (auto it = votes.rbegin(); it != votes.rend(); ++it) backward.Add(it->first, it->second);
  EXPECT_EQ(forward.RankedByVotes()[0].answer, "D");
  EXPECT_EQ(backward.RankedByVotes()[0].answer, "D");
  EXPECT_EQ(forward.RankedByVotes()[0].first_chain, 1u);
}

TEST(TallyTest, WeightsRankSeparately) {
  Tally t;
  t.Add(0, "A", 0.1);
  t.Add(1, "A", 0.1);
  t.Add(2, "B", 0.5);
  EXPECT_EQ(t.RankedByVotes()[0].answer, "A");
  EXPECT_EQ(t.RankedByWeight()[0].answer, "B");
  EXPECT_DOUBLE_EQ(t.RankedByWeight()[1].weight, 0.2);
}

}  // namespace
}  // namespace ptc
