// Experiment statistics: percentiles, the bootstrap interval, per-N summaries and the CSV.
#include "bench/eval/eval_stats.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench/eval/results_writer.h"
#include "gtest/gtest.h"

namespace ptc::eval {
namespace {

std::vector<double> Outcomes(int correct, int total) {
  std::vector<double> v(total, 0.0);
  for (int i = 0; i < correct; ++i) v[i] = 1.0;
  return v;
}

TEST(BootstrapTest, ContainsThePointEstimate) {
  for (int total : {10, 40, 198}) {
    for (int correct : {1, total / 3, total / 2, total - 1}) {
      const double p = static_cast<double>(correct) / total;
      Interval ci = BootstrapMeanCi(Outcomes(correct, total));
      EXPECT_LE(ci.low, p) << correct << "/" << total;
      EXPECT_GE(ci.high, p) << correct << "/" << total;
      EXPECT_LT(ci.low, ci.high);
      EXPECT_GE(ci.low, 0);
      EXPECT_LE(ci.high, 1);
    }
  }
}

TEST(BootstrapTest, IsDeterministic) {
  const std::vector<double> v = Outcomes(31, 50);
  Interval a = BootstrapMeanCi(v);
  Interval b = BootstrapMeanCi(v);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  // The seed is what fixes it.
  Interval c = BootstrapMeanCi(v, 0.95, kBootstrapResamples, kBootstrapSeed + 1);
  EXPECT_NEAR(c.low, a.low, 0.05);
}

TEST(BootstrapTest, NarrowsWithMoreQuestions) {
  Interval small = BootstrapMeanCi(Outcomes(14, 20));
  Interval large = BootstrapMeanCi(Outcomes(140, 200));
  EXPECT_LT(large.high - large.low, small.high - small.low);
  // About the normal approximation's 2 * 1.96 * sqrt(p (1 - p) / n).
  EXPECT_NEAR(large.high - large.low, 2 * 1.96 * std::sqrt(0.7 * 0.3 / 200), 0.02);
}

TEST(BootstrapTest, DegenerateCases) {
  Interval all = BootstrapMeanCi(Outcomes(12, 12));
  EXPECT_EQ(all.low, 1);
  EXPECT_EQ(all.high, 1);
  Interval none = BootstrapMeanCi(Outcomes(0, 12));
  EXPECT_EQ(none.low, 0);
  EXPECT_EQ(none.high, 0);
  Interval one = BootstrapMeanCi({1.0});
  EXPECT_EQ(one.low, 1);
  EXPECT_EQ(one.high, 1);
  Interval empty = BootstrapMeanCi({});
  EXPECT_TRUE(std::isnan(empty.low));
  EXPECT_TRUE(std::isnan(empty.high));
}

RequestResult Ok(int question, int repeat, bool correct, double cost, double latency) {
  RequestResult r;
  r.question = question;
  r.repeat = repeat;
  r.n = 4;
  r.ok = true;
  r.correct = correct;
  r.chains = 4;
  r.tokens = 1000;
  r.cost_usd = cost;
  r.latency_s = latency;
  return r;
}

TEST(SummarizeTest, CountsErrorsAsIncorrectAndAveragesOverResponses) {
  std::vector<RequestResult> results = {Ok(0, 0, true, 0.01, 1.0), Ok(1, 0, false, 0.03, 2.0),
                                        Ok(2, 0, true, 0.02, 3.0)};
  RequestResult failed;
  failed.question = 3;
  failed.n = 4;
  failed.error = "UNAVAILABLE: down";
  results.push_back(failed);
  NStats s = Summarize(4, results);
  EXPECT_EQ(s.n, 4u);
  EXPECT_EQ(s.questions, 4);
  EXPECT_EQ(s.requests, 4);
  EXPECT_EQ(s.correct, 2);
  EXPECT_EQ(s.errors, 1);
  EXPECT_EQ(s.first_error, "UNAVAILABLE: down");
  EXPECT_DOUBLE_EQ(s.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(s.mean_chains, 4);
  EXPECT_DOUBLE_EQ(s.mean_tokens, 1000);
  EXPECT_DOUBLE_EQ(s.mean_cost_usd, 0.02);
  EXPECT_DOUBLE_EQ(s.cost_per_correct_usd, 0.03);
  EXPECT_DOUBLE_EQ(s.p50_latency_s, 2.0);
  EXPECT_DOUBLE_EQ(s.p95_latency_s, 2.9);
  EXPECT_LE(s.ci.low, s.accuracy);
  EXPECT_GE(s.ci.high, s.accuracy);
}

TEST(SummarizeTest, RepeatsResampleWithTheirQuestion) {
  // Two questions, each right on one of two repeats: every resample has mean 0.5.
  NStats s = Summarize(4, {Ok(0, 0, true, 0.01, 1), Ok(0, 1, false, 0.01, 1),
                           Ok(1, 0, false, 0.01, 1), Ok(1, 1, true, 0.01, 1)});
  EXPECT_EQ(s.questions, 2);
  EXPECT_EQ(s.requests, 4);
  EXPECT_DOUBLE_EQ(s.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(s.ci.low, 0.5);
  EXPECT_DOUBLE_EQ(s.ci.high, 0.5);
}

TEST(SummarizeTest, NoCorrectAnswerHasNoCostPerCorrect) {
  NStats s = Summarize(4, {Ok(0, 0, false, 0.01, 1), Ok(1, 0, false, 0.01, 1)});
  EXPECT_EQ(s.accuracy, 0);
  EXPECT_TRUE(std::isnan(s.cost_per_correct_usd));
  const std::string csv = ResultsCsv({s});
  EXPECT_NE(csv.find(",nan,"), std::string::npos) << csv;
}

TEST(ResultsCsvTest, HeaderIsExact) {
  EXPECT_STREQ(kResultsCsvHeader,
               "strategy,stop,n,thinking_budget,questions,accuracy,ci_low,ci_high,mean_chains,"
               "mean_tokens,mean_cost_usd,cost_per_correct_usd,p50_latency_s,p95_latency_s,backend,"
               "model,subsampled");
  NStats s = Summarize(8, {Ok(0, 0, true, 0.5, 1.25), Ok(1, 0, false, 0.25, 0.75)});
  s.n = 8;
  const std::string csv = ResultsCsv({s});
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], kResultsCsvHeader);
  std::vector<std::string> cells = absl::StrSplit(lines[1], ',');
  ASSERT_EQ(cells.size(), 17u);
  EXPECT_EQ(cells[0], "majority");
  EXPECT_EQ(cells[1], "fixed");
  EXPECT_EQ(cells[2], "8");
  EXPECT_EQ(cells[3], "0");
  EXPECT_EQ(cells[4], "2");
  EXPECT_EQ(cells[5], "0.5");
  EXPECT_EQ(cells[8], "4");
  EXPECT_EQ(cells[10], "0.375");
  EXPECT_EQ(cells[11], "0.75");
  EXPECT_EQ(cells[12], "1");
  EXPECT_EQ(cells[14], "");
  EXPECT_EQ(cells[15], "");
  EXPECT_EQ(cells[16], "0");
  // Text fields with a comma are quoted.
  s.model = "a,b";
  s.subsampled = true;
  const std::string quoted = ResultsCsv({s});
  EXPECT_NE(quoted.find(",\"a,b\",1\n"), std::string::npos) << quoted;
}

TEST(FormatTableTest, OneLinePerNAndAlignedColumns) {
  NStats a = Summarize(1, {Ok(0, 0, true, 0.01, 1), Ok(1, 0, false, 0.01, 1)});
  NStats b = Summarize(64, {Ok(0, 0, true, 0.64, 10), Ok(1, 0, true, 0.64, 12)});
  const std::string table = FormatTable({a, b});
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("accuracy"), std::string::npos);
  EXPECT_NE(lines[0].find("95% CI"), std::string::npos);
  EXPECT_EQ(lines[1].size(), lines[0].size());
  EXPECT_EQ(lines[2].size(), lines[0].size());
  EXPECT_EQ(lines[0].find("errors"), std::string::npos);  // only when there are errors
}

}  // namespace
}  // namespace ptc::eval
