#include "aggregators/majority/majority.h"

#include "gtest/gtest.h"

namespace ptc {
namespace {

std::unique_ptr<Aggregator> Majority() {
  auto a = CreateAggregator(v1::Aggregation());  // unset strategy means majority
  EXPECT_TRUE(a.ok()) << a.status();
  return *std::move(a);
}

TEST(MajorityTest, RegisteredUnderItsConfigName) {
  v1::Aggregation agg;
  agg.mutable_majority();
  auto a = CreateAggregator(agg);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->name(), "majority");
}

TEST(MajorityTest, MostVotesWinsWithItsShareAsConfidence) {
  Tally t;
  for (uint32_t i = 0; i < 5; ++i) t.Add(i, i < 3 ? "B" : "C");
  t.AddUnparseable();
  Selection s = Majority()->Select(SelectionInput{t, {}});
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "B");
  EXPECT_DOUBLE_EQ(s.confidence, 3.0 / 5.0);  // share of parseable votes
  ASSERT_EQ(s.candidates.size(), 2u);
  EXPECT_EQ(s.candidates[1].answer(), "C");
  EXPECT_EQ(s.candidates[1].votes(), 2u);
}

TEST(MajorityTest, TieBreakIsTheEarliestChainsAnswer) {
  Tally t;
  t.Add(3, "A");
  t.Add(0, "D");
  t.Add(1, "A");
  t.Add(2, "D");
  Selection s = Majority()->Select(SelectionInput{t, {}});
  EXPECT_EQ(s.answer, "D");  // chain 0 said D
  EXPECT_DOUBLE_EQ(s.confidence, 0.5);
}

TEST(MajorityTest, UnparseableNeverWins) {
  Tally t;
  for (int i = 0; i < 10; ++i) t.AddUnparseable();
  t.Add(10, "C");
  Selection s = Majority()->Select(SelectionInput{t, {}});
  EXPECT_EQ(s.answer, "C");
  EXPECT_DOUBLE_EQ(s.confidence, 1.0);
}

TEST(MajorityTest, NoParseableAnswerMeansNoAnswer) {
  Tally t;
  t.AddUnparseable();
  Selection s = Majority()->Select(SelectionInput{t, {}});
  EXPECT_FALSE(s.answered);
  EXPECT_TRUE(s.answer.empty());
  EXPECT_TRUE(s.candidates.empty());
}

}  // namespace
}  // namespace ptc
