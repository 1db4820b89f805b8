// The verifier strategy against majority vote on the bundled GPQA-style sample, end to end
// through the in-process server, with fixed seeds: the simulated model generates the chains and,
// as the verifier (samplers/sim/sim_model.h), grades the candidates with the AUC that
// `ptc eval --strategy verifier:AUC` asks for. Chains are the same for every series (same seeds);
// only the selection differs, so the comparisons are paired.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench/eval/eval_runner.h"
#include "bench/eval/experiment.h"
#include "common/mcq_dataset.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "service/config.h"
#include "service/server.h"
#include "tests/bench/eval/eval_test_util.h"

namespace ptc::eval {
namespace {

using testing_util::FastSim;
using testing_util::Mean;
using testing_util::PairedDiffCi;
using testing_util::StartServer;

// Six shuffles per question: the verifier's effect at N = 32 is a few points, and with fewer
// repeats the per-question noise widens the paired interval to about that size.
constexpr int kRepeats = 6;
const std::vector<uint32_t> kNs = {1, 32};

// Per question, the mean correctness over its repeats.
std::vector<double> QuestionScores(const std::vector<RequestResult>& results, size_t questions) {
  std::vector<double> score(questions, 0);
  for (const RequestResult& r : results) score[r.question] += r.correct ? 1.0 / kRepeats : 0;
  return score;
}

TEST(VerifierEvalTest, StrategyNamesSetTheSimulatedVerifiersAuc) {
  auto plain = AggregationByName("verifier");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->has_verifier());
  EXPECT_EQ(plain->verifier().model(), "");  // the default backend's default model
  auto auc = AggregationByName("verifier:0.75");
  ASSERT_TRUE(auc.ok()) << auc.status();
  EXPECT_EQ(auc->verifier().model(), "sim-verifier:auc=0.75");
  for (const char* bad : {"verifier:", "verifier:1", "verifier:0", "verifier:x", "verifier:-0.5"}) {
    auto a = AggregationByName(bad);
    EXPECT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().message().find("AUC must be a number in (0, 1)"), std::string::npos)
        << a.status();
  }
}

TEST(VerifierEvalTest, AnAuc08VerifierBeatsMajorityAtN32) {
  std::unique_ptr<Server> server;
  std::unique_ptr<v1::Orchestrator::Stub> stub;
  ASSERT_NO_FATAL_FAILURE(StartServer(FastSim(), &server, &stub));
  auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
  ASSERT_TRUE(questions.ok()) << questions.status();
  const size_t q = questions->size();

  // Other AUCs and N: `ptc eval --strategy majority,verifier:0.7,verifier:0.8,verifier:0.9`.
  const std::vector<std::string> strategies = {"majority", "verifier:0.8"};
  // scores[strategy][N index] = per-question scores; stats likewise.
  std::map<std::string, std::vector<std::vector<double>>> scores;
  std::map<std::string, std::vector<NStats>> stats;
  for (const std::string& strategy : strategies) {
    auto aggregation = AggregationByName(strategy);
    ASSERT_TRUE(aggregation.ok()) << aggregation.status();
    EvalOptions options;
    options.ns = kNs;
    options.repeats = kRepeats;
    options.max_in_flight = 32;
    options.aggregation = *aggregation;
    auto results = RunEval(*stub, *questions, options);
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(results->errors, 0) << results->first_error;
    for (size_t i = 0; i < kNs.size(); ++i) {
      scores[strategy].push_back(QuestionScores(results->by_n[i], q));
      stats[strategy].push_back(Summarize(kNs[i], results->by_n[i]));
    }
  }
  server->Shutdown();
  if (HasFailure()) return;

  std::printf("accuracy [95%% CI] and $/question (%zu questions x %d repeats)\n", q, kRepeats);
  std::printf("%-14s", "strategy");
  for (uint32_t n : kNs) std::printf("  %-32s", absl::StrCat("N=", n).c_str());
  std::printf("\n");
  for (const std::string& strategy : strategies) {
    std::printf("%-14s", strategy.c_str());
    for (const NStats& s : stats[strategy]) {
      std::printf("  %.4f [%.4f, %.4f] $%.4f", s.accuracy, s.ci.low, s.ci.high, s.mean_cost_usd);
    }
    std::printf("\n");
  }

  // N = 1: one candidate, nothing to grade: every strategy returns the chain's answer.
  for (const std::string& strategy : strategies) {
    EXPECT_EQ(scores[strategy][0], scores["majority"][0]) << strategy;
  }
  // N = 32: the AUC-0.8 verifier beats majority by more than the paired bootstrap 95% CI of the
  // difference over questions.
  const size_t n32 = kNs.size() - 1;
  std::vector<double> d(q);
  for (size_t i = 0; i < q; ++i) d[i] = scores["verifier:0.8"][n32][i] - scores["majority"][n32][i];
  const Interval ci = BootstrapMeanCi(d);
  std::printf("N=32: verifier:0.8 - majority 95%% CI [%.4f, %.4f]\n", ci.low, ci.high);
  EXPECT_GT(ci.low, 0);
  // The verifier's calls cost something, and it is charged.
  EXPECT_GT(stats["verifier:0.8"][n32].mean_cost_usd, stats["majority"][n32].mean_cost_usd);
}

}  // namespace
}  // namespace ptc::eval
