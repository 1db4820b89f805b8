// The verifier strategy's selection rule from given grades: the combination of votes and
// scores, the fill for candidates without a score, ties, and the fallback to majority vote.
#include "aggregators/verifier/verifier.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<Aggregator> Verifier(v1::VerifierVote config = {}) {
  v1::Aggregation agg;
  *agg.mutable_verifier() = config;
  auto a = CreateAggregator(agg);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *std::move(a) : nullptr;
}

// A tally of `answers` given by chains 0, 1, 2, ... in order.
Tally TallyOf(const std::vector<std::string>& answers) {
  Tally t;
  for (uint32_t i = 0; i < answers.size(); ++i) t.Add(i, answers[i]);
  return t;
}

CandidateGrade Graded(const std::string& answer, double score) {
  CandidateGrade g;
  g.answer = answer;
  g.score = score;
  return g;
}

CandidateGrade Failed(const std::string& answer, const std::string& error) {
  CandidateGrade g;
  g.answer = answer;
  g.error = error;
  return g;
}

VerificationOutcome Outcome(std::vector<CandidateGrade> grades) {
  VerificationOutcome o;
  o.verifier = "judge/judge-model";
  o.grades = std::move(grades);
  return o;
}

TEST(VerifierTest, RegisteredWithItsSettings) {
  v1::VerifierVote c;
  c.set_backend("judge");
  c.set_model("m");
  c.set_max_tokens(512);
  auto a = Verifier(c);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name(), "verifier");
  EXPECT_FALSE(a->wants_logprobs());
  const VerifySettings* s = a->verify_settings();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->backend, "judge");
  EXPECT_EQ(s->model, "m");
  EXPECT_EQ(s->max_tokens, 512u);
  EXPECT_EQ(s->max_candidates, kDefaultVerifyCandidates);
  EXPECT_EQ(s->evidence_bytes, kDefaultEvidenceBytes);
}

TEST(VerifierTest, OutOfRangeSettingsNameTheField) {
  struct Case {
    v1::VerifierVote config;
    const char* field;
  };
  std::vector<Case> cases(4);
  cases[0].config.set_max_candidates(kMaxVerifyCandidates + 1);
  cases[0].field = "aggregation.verifier.max_candidates";
  cases[1].config.set_evidence_bytes(kMaxEvidenceBytes + 1);
  cases[1].field = "aggregation.verifier.evidence_bytes";
  cases[2].config.set_vote_exponent(-1);
  cases[2].field = "aggregation.verifier.vote_exponent";
  cases[3].config.set_vote_exponent(NAN);
  cases[3].field = "aggregation.verifier.vote_exponent";
  for (const Case& c : cases) {
    v1::Aggregation agg;
    *agg.mutable_verifier() = c.config;
    auto a = CreateAggregator(agg);
    ASSERT_FALSE(a.ok()) << c.field;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(a.status().message()), StartsWith(c.field));
  }
}

TEST(VerifierTest, ScoresOverturnAThinMajority) {
  const Tally t = TallyOf({"A", "A", "A", "B", "B"});  // A 0.6, B 0.4
  const VerificationOutcome o = Outcome({Graded("A", 0.2), Graded("B", 0.9)});
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "B");  // 0.4 x 0.9 = 0.36 > 0.6 x 0.2 = 0.12
  EXPECT_TRUE(s.fallback.empty());
  ASSERT_EQ(s.candidates.size(), 2u);
  EXPECT_EQ(s.candidates[0].answer(), "B");
  EXPECT_DOUBLE_EQ(s.candidates[0].weight(), 0.4 * 0.9);
  EXPECT_DOUBLE_EQ(s.candidates[0].score(), 0.36 / 0.48);
  EXPECT_DOUBLE_EQ(s.candidates[0].verifier_score(), 0.9);
  EXPECT_EQ(s.candidates[0].votes(), 2u);
  EXPECT_DOUBLE_EQ(s.candidates[0].share(), 0.4);
  EXPECT_DOUBLE_EQ(s.confidence, s.candidates[0].score());
  EXPECT_THAT(s.rule, HasSubstr("vote share^1 x verifier score (judge/judge-model)"));
  EXPECT_THAT(s.rule, HasSubstr("2 of 2 candidates scored"));
}

TEST(VerifierTest, ScoresDoNotLiftAOneVoteOutlierOverAClearMajority) {
  std::vector<std::string> answers(9, "A");
  answers.push_back("C");
  const Tally t = TallyOf(answers);
  const VerificationOutcome o = Outcome({Graded("A", 0.3), Graded("C", 0.95)});
  EXPECT_EQ(Verifier()->Select(SelectionInput{t, {}, &o}).answer, "A");
}

TEST(VerifierTest, VoteExponentZeroIsTheVerifierAlone) {
  std::vector<std::string> answers(9, "A");
  answers.push_back("C");
  const Tally t = TallyOf(answers);
  const VerificationOutcome o = Outcome({Graded("A", 0.3), Graded("C", 0.95)});
  v1::VerifierVote c;
  c.set_vote_exponent(0);
  Selection s = Verifier(c)->Select(SelectionInput{t, {}, &o});
  EXPECT_EQ(s.answer, "C");
  EXPECT_THAT(s.rule, HasSubstr("vote share^0"));
}

TEST(VerifierTest, CandidatesWithoutAScoreTakeTheMeanScore) {
  // A graded 0.2, B's call failed, C not graded: B and C take the mean of the scores, 0.2.
  const Tally t = TallyOf({"A", "A", "B", "B", "C"});
  const VerificationOutcome o = Outcome({Graded("A", 0.2), Failed("B", "UNAVAILABLE: down")});
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  ASSERT_EQ(s.candidates.size(), 3u);
  // A and B tie on weight (0.4 x 0.2) and votes: the earliest chain (A, chain 0) wins.
  EXPECT_EQ(s.answer, "A");
  EXPECT_EQ(s.candidates[1].answer(), "B");
  EXPECT_DOUBLE_EQ(s.candidates[1].weight(), 0.4 * 0.2);
  EXPECT_FALSE(s.candidates[1].has_verifier_score());
  EXPECT_FALSE(s.candidates[2].has_verifier_score());
  EXPECT_THAT(s.rule, HasSubstr("1 of 3 candidates scored, the others took the mean score"));
}

TEST(VerifierTest, WeightTiesGoToMoreVotesThenTheEarliestChain) {
  // Equal weights: A 0.5 x 0.4 = 0.2, B 0.25 x 0.8 = 0.2, C 0.25 x 0.8 = 0.2: A has more votes.
  const Tally t = TallyOf({"B", "A", "C", "A"});
  const VerificationOutcome o = Outcome({Graded("A", 0.4), Graded("B", 0.8), Graded("C", 0.8)});
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  ASSERT_EQ(s.candidates.size(), 3u);
  EXPECT_EQ(s.candidates[0].answer(), "A");
  // B and C tie on weight and votes: B's chain (0) is earlier than C's (2).
  EXPECT_EQ(s.candidates[1].answer(), "B");
  EXPECT_EQ(s.candidates[2].answer(), "C");
}

TEST(VerifierTest, AllScoresZeroIsDecidedByTheVotes) {
  const Tally t = TallyOf({"B", "A", "A"});
  const VerificationOutcome o = Outcome({Graded("A", 0), Graded("B", 0)});
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  EXPECT_EQ(s.answer, "A");
  EXPECT_DOUBLE_EQ(s.confidence, 0);  // no weight anywhere
}

TEST(VerifierTest, VerifierDownFallsBackToMajority) {
  const Tally t = TallyOf({"B", "A", "A"});
  const VerificationOutcome o =
      Outcome({Failed("A", "UNAVAILABLE: connection refused"), Failed("B", "cancelled")});
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  EXPECT_EQ(s.answer, "A");
  EXPECT_DOUBLE_EQ(s.confidence, 2.0 / 3.0);  // majority's: the share of the votes
  EXPECT_THAT(s.fallback, StartsWith("failed: no call gave a score (candidate A: UNAVAILABLE"));
  EXPECT_THAT(s.rule, StartsWith("verifier failed: no call gave a score"));
  EXPECT_THAT(s.rule, HasSubstr("; majority"));
  for (const v1::Candidate& c : s.candidates) EXPECT_FALSE(c.has_verifier_score());
}

TEST(VerifierTest, EveryReplyUnparseableFallsBackToMajority) {
  const Tally t = TallyOf({"B", "A", "A"});
  const VerificationOutcome o =
      Outcome({Failed("A", "no score in the reply"), Failed("B", "no score in the reply")});
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  EXPECT_EQ(s.answer, "A");
  EXPECT_THAT(s.fallback, HasSubstr("no score in the reply"));
}

TEST(VerifierTest, SkippedVerificationFallsBackToMajoritySayingWhy) {
  const Tally t = TallyOf({"B", "A", "A"});
  VerificationOutcome o;
  o.skipped = "no room for a verifier call";
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  EXPECT_EQ(s.answer, "A");
  EXPECT_EQ(s.fallback, "skipped: no room for a verifier call");
  EXPECT_THAT(s.rule, StartsWith("verifier skipped: no room for a verifier call; majority"));
  // Without an outcome at all (never the case in a Run): majority too.
  Selection none = Verifier()->Select(SelectionInput{t, {}});
  EXPECT_EQ(none.answer, "A");
  EXPECT_EQ(none.fallback, "not run");
}

TEST(VerifierTest, OneCandidateNeedsNoVerifier) {
  const Tally t = TallyOf({"C"});  // one chain
  VerificationOutcome o;
  o.skipped = "one candidate";
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "C");
  EXPECT_DOUBLE_EQ(s.confidence, 1);
  EXPECT_TRUE(s.fallback.empty());
  EXPECT_EQ(s.rule, "verifier: one candidate, nothing to grade");
}

TEST(VerifierTest, NoParseableAnswerMeansNoAnswer) {
  // Every chain unparseable, or every chain failed: the tally is empty either way.
  Tally t;
  t.AddUnparseable();
  t.AddUnparseable();
  VerificationOutcome o;
  o.skipped = "no parseable answer";
  Selection s = Verifier()->Select(SelectionInput{t, {}, &o});
  EXPECT_FALSE(s.answered);
  EXPECT_TRUE(s.candidates.empty());
  EXPECT_EQ(s.rule, "verifier: no parseable answer");
  Selection failed = Verifier()->Select(SelectionInput{Tally(), {}, &o});
  EXPECT_FALSE(failed.answered);
}

}  // namespace
}  // namespace ptc
