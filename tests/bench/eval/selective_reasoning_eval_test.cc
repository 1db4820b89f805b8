// Classifier-selective reasoning on the mixed dataset (bench/data/mixed_reasoning_if.jsonl: 60
// GPQA-style multiple-choice questions, where thinking helps the simulated model, and 60
// format-constrained instructions graded by their constraints, where it hurts), end to end:
// `ptc eval` records with thinking off and on, `ptc train-policy` on them, and the server's auto
// compute policy deciding per prompt. Cross-fitted: the questions are split in two halves by a
// hash of their id; the policy trained on one half decides for the other, so every question is
// decided by a policy that never saw it. Fixed seeds throughout.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/eval/eval_runner.h"
#include "bench/eval/experiment.h"
#include "bench/eval/policy_training.h"
#include "bench/eval/records.h"
#include "bench/eval/scorer_training.h"
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

constexpr int kRepeats = 8;
constexpr uint32_t kThinkBudget = 4096;
constexpr double kFold = 0.5;
constexpr uint64_t kFoldSeed = 3;

std::string MixedDataset() {
  return (std::filesystem::path(PTC_SOURCE_DIR) / "bench/data/mixed_reasoning_if.jsonl").string();
}

TEST(SelectiveReasoningEvalTest, ThePolicyBeatsAlwaysAndNeverThinkingOnQuestionsItNeverSaw) {
  const std::string dir = ::testing::TempDir() + "/selective_reasoning";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/policies");
  // Before the server (and its policy store) starts: this process's policy directory.
  setenv("PTC_POLICY_DIR", (dir + "/policies").c_str(), 1);
  v1::SimBackendConfig sim;
  sim.set_dataset(MixedDataset());
  std::unique_ptr<Server> server;
  std::unique_ptr<v1::Orchestrator::Stub> stub;
  ASSERT_NO_FATAL_FAILURE(StartServer(FastSim(sim), &server, &stub));
  auto questions = LoadMcqJsonl(MixedDataset());
  ASSERT_TRUE(questions.ok()) << questions.status();
  const size_t q = questions->size();

  // 1. Record: `ptc eval --thinking-budget 0,4096 --n 1 --repeats 8 --out DIR`.
  ExperimentOptions record;
  for (uint32_t budget : {0u, kThinkBudget}) {
    Series s;
    s.aggregation.mutable_majority();
    s.thinking_budget = budget;
    record.series.push_back(s);
  }
  record.ns = {1};
  record.repeats = kRepeats;
  record.max_in_flight = 32;
  record.records_path = dir + "/records.jsonl";
  auto recorded = RunExperiment(*stub, *questions, record);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->errors, 0) << recorded->first_error;
  auto records = LoadRecords(record.records_path, /*repair=*/false);
  ASSERT_TRUE(records.ok()) << records.status();

  // 2. Train one policy per half (`ptc train-policy --holdout-fraction 0` on that half's records).
  std::vector<Record> half[2];
  for (const Record& r : *records) half[HeldOut(r.id, kFold, kFoldSeed) ? 1 : 0].push_back(r);
  for (int h = 0; h < 2; ++h) {
    PolicyTrainingOptions options;
    options.holdout_fraction = 0;
    auto t = TrainThinkingPolicy(half[h], options);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->think_budget, kThinkBudget);
    std::ofstream(absl::StrCat(dir, "/policies/half", h, ".json"), std::ios::binary) << t->file;
  }

  // 3. Serve: the auto policy with each half's policy over every question; a question's outcome
  // is taken from the run whose policy was trained on the other half.
  std::vector<std::vector<RequestResult>> decided(2);
  std::vector<double> think_probability(q, 0);
  for (int h = 0; h < 2; ++h) {
    EvalOptions options;
    options.ns = {1};
    options.repeats = kRepeats;
    options.max_in_flight = 32;
    options.compute.mutable_auto_()->set_thinking_model(absl::StrCat("half", h));
    auto r = RunEval(*stub, *questions, options);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->errors, 0) << r->first_error;
    decided[h] = r->by_n[0];
  }
  server->Shutdown();

  // Per question, mean correctness and cost over the repeats: never, always, policy.
  std::vector<double> never(q, 0), always(q, 0), policy(q, 0);
  double cost_never = 0, cost_always = 0, cost_policy = 0;
  for (const Record& r : *records) {
    (r.thinking_budget == 0 ? never : always)[r.question] += r.correct ? 1.0 / kRepeats : 0;
    (r.thinking_budget == 0 ? cost_never : cost_always) += r.cost_usd / (q * kRepeats);
  }
  size_t thinks = 0, thinks_on_mcq = 0, mcq = 0;
  for (size_t i = 0; i < q; ++i) mcq += !(*questions)[i].instruction();
  for (int h = 0; h < 2; ++h) {
    for (const RequestResult& r : decided[h]) {
      const bool trained_on_it =
          (HeldOut((*questions)[r.question].id, kFold, kFoldSeed) ? 1 : 0) == h;
      if (trained_on_it) continue;
      policy[r.question] += r.correct ? 1.0 / kRepeats : 0;
      cost_policy += r.cost_usd / (q * kRepeats);
      // A thinking chain here is ~2,300 tokens, one without ~60-600: above 1,500 it thought.
      const bool thought = r.tokens > 1500;
      thinks += thought;
      thinks_on_mcq += thought && !(*questions)[r.question].instruction();
    }
  }
  const Interval ci_never = PairedDiffCi(policy, never), ci_always = PairedDiffCi(policy, always);
  std::printf(
      "%zu questions (%zu multiple choice) x %d repeats, N = 1, cross-fitted in two halves\n"
      "  never think   accuracy %.4f  $%.5f/call\n"
      "  always think  accuracy %.4f  $%.5f/call (budget %u)\n"
      "  policy        accuracy %.4f  $%.5f/call, thinks on %.1f%% of calls (%.1f%% of them "
      "multiple choice)\n"
      "  policy - never  %+.4f, paired 95%% CI [%+.4f, %+.4f]\n"
      "  policy - always %+.4f, paired 95%% CI [%+.4f, %+.4f]\n",
      q, mcq, kRepeats, Mean(never), cost_never, Mean(always), cost_always, kThinkBudget,
      Mean(policy), cost_policy, 100.0 * thinks / (q * kRepeats),
      thinks ? 100.0 * thinks_on_mcq / thinks : 0.0, Mean(policy) - Mean(never), ci_never.low,
      ci_never.high, Mean(policy) - Mean(always), ci_always.low, ci_always.high);
  EXPECT_GT(ci_never.low, 0);
  EXPECT_GT(ci_always.low, 0);
  EXPECT_LT(cost_policy, cost_always);
}

}  // namespace
}  // namespace ptc::eval
