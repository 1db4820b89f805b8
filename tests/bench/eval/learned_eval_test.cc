// The learned strategy against majority vote on the bundled GPQA-style sample, with fixed seeds:
// record chains through the in-process server (`ptc eval --strategy weighted:64` with records),
// train a scorer on one split of the questions (`ptc train-scorer`), and compare on the other,
// held-out split. The held-out selections are made twice: offline from the records (as
// train-scorer evaluates) and by the server's `learned` strategy loading the trained model file,
// and the two must agree call for call, so the features the model was trained on are the ones it
// is served with. Chains are the same for every strategy (same seeds); only the selection
// differs, so the comparisons are paired.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregators/learned/features.h"
#include "bench/eval/eval_runner.h"
#include "bench/eval/experiment.h"
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

// Four shuffles per question, drawn once at N = 32; N = 8 and 16 are prefixes of those chains.
constexpr int kRepeats = 4;
constexpr uint32_t kMaxN = 32;
const std::vector<uint32_t> kNs = {8, 16, 32};
constexpr double kHoldoutFraction = 0.5;

std::string TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              absl::StrCat("ptc_learned_eval_", info->name(), "_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Per held-out question, the mean correctness at N over its repeats: [0] the model's, [1]
// majority's.
std::map<std::string, std::vector<double>> QuestionScores(const Evaluation& e, uint32_t n,
                                                          bool model) {
  std::map<std::string, std::vector<double>> out;
  for (const DecisionOutcome& o : e.outcomes) {
    if (o.decision->n != n) continue;
    out[o.decision->question_id].push_back((model ? o.model_correct : o.majority_correct) ? 1 : 0);
  }
  return out;
}

std::vector<double> Means(const std::map<std::string, std::vector<double>>& by_question) {
  std::vector<double> out;
  for (const auto& [id, v] : by_question) {
    double s = 0;
    for (double x : v) s += x;
    out.push_back(s / v.size());
  }
  return out;
}

TEST(LearnedEvalTest, ATrainedScorerBeatsMajorityOnHeldOutQuestions) {
  const std::string dir = TempDir();
  const std::string scorer_dir = dir + "/scorers";
  std::filesystem::create_directories(scorer_dir);
  // Before the server (and its model store) starts: this process's scorer directory.
  setenv("PTC_SCORER_DIR", scorer_dir.c_str(), 1);
  std::unique_ptr<Server> server;
  std::unique_ptr<v1::Orchestrator::Stub> stub;
  ASSERT_NO_FATAL_FAILURE(StartServer(FastSim(), &server, &stub));
  auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
  ASSERT_TRUE(questions.ok()) << questions.status();

  // 1. Record: `ptc eval --strategy weighted:64 --n 32 --repeats 4 --out DIR`.
  ExperimentOptions record;
  Series series;
  series.strategy = "weighted:64";
  auto aggregation = AggregationByName(series.strategy);
  ASSERT_TRUE(aggregation.ok()) << aggregation.status();
  series.aggregation = *aggregation;
  record.series = {series};
  record.ns = {kMaxN};
  record.repeats = kRepeats;
  record.max_in_flight = 32;
  record.records_path = dir + "/records.jsonl";
  auto recorded = RunExperiment(*stub, *questions, record);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->errors, 0) << recorded->first_error;
  auto records = LoadRecords(record.records_path, /*repair=*/false);
  ASSERT_TRUE(records.ok()) << records.status();

  // 2. Train: `ptc train-scorer --records DIR/records.jsonl --holdout-fraction 0.5 --n 8,16,32`.
  std::map<std::string, TrainedScorer> trained;
  for (learned::ModelKind kind : {learned::ModelKind::kXgboost, learned::ModelKind::kLogistic}) {
    ScorerTrainingOptions options;
    options.kind = kind;
    options.holdout_fraction = kHoldoutFraction;
    options.ns = kNs;
    auto t = TrainScorer(*records, record.records_path, options);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->data.confidence_window, 64u);
    EXPECT_GT(t->holdout.questions, 60u);
    EXPECT_GT(t->train.questions, 60u);
    trained.emplace(learned::KindName(kind), *std::move(t));
  }

  // 3. Serve the xgboost model: the server's selections on the held-out calls are the offline ones.
  const TrainedScorer& xgb = trained.at("xgboost");
  {
    std::ofstream f(scorer_dir + "/test-xgb.json", std::ios::binary);
    f << xgb.file;
  }
  EvalOptions serve;
  serve.aggregation.mutable_learned()->set_model("test-xgb");
  std::vector<const Decision*> calls;
  for (const DecisionOutcome& o : xgb.holdout.outcomes) calls.push_back(o.decision);
  std::vector<CallOutcome> served(calls.size());
  RunSolveCalls(
      *stub->async(), calls.size(),
      [&](size_t i) {
        const Decision& d = *calls[i];
        return BuildRequest((*questions)[d.question], d.question, d.repeat, d.n, serve);
      },
      /*max_in_flight=*/32, absl::Seconds(60), /*cancel=*/nullptr,
      [&](CallOutcome& outcome) { served[outcome.index] = std::move(outcome); });
  server->Shutdown();
  size_t mismatches = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(served[i].status.ok()) << served[i].status.error_message();
    const v1::SolveResponse& r = served[i].response;
    EXPECT_EQ(r.strategy(), "learned");
    EXPECT_NE(
        r.selection_rule().find(absl::StrCat("xgboost scorer test-xgb@", xgb.model->version())),
        std::string::npos)
        << r.selection_rule();
    if (r.has_scorer()) {  // filled in from Selection::scorer by the Run
      EXPECT_EQ(r.scorer().version(), xgb.model->version());
      EXPECT_TRUE(r.scorer().fallback().empty()) << r.scorer().fallback();
    }
    if (r.correct() != xgb.holdout.outcomes[i].model_correct) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u) << "of " << calls.size() << " held-out calls";
  if (HasFailure()) return;

  // 4. The held-out table, and the assertion: at N = 32 both scorers beat majority by more than
  // the paired bootstrap 95% CI of the difference over held-out questions.
  std::printf("held-out accuracy [95%% CI] (%zu questions x %d repeats; trained on %zu others)\n",
              xgb.holdout.questions, kRepeats, xgb.train.questions);
  std::printf("%-20s", "strategy");
  for (uint32_t n : kNs) std::printf("  %-24s", absl::StrCat("N=", n).c_str());
  std::printf("\n");
  auto row = [&](const std::string& name, const Evaluation& e, bool model) {
    std::printf("%-20s", name.c_str());
    for (uint32_t n : kNs) {
      const std::vector<double> s = Means(QuestionScores(e, n, model));
      const Interval ci = BootstrapMeanCi(s);
      std::printf("  %.4f [%.4f, %.4f]", Mean(s), ci.low, ci.high);
    }
    std::printf("\n");
  };
  row("majority", xgb.holdout, false);
  row("learned (xgboost)", xgb.holdout, true);
  row("learned (logistic)", trained.at("logistic").holdout, true);
  for (const auto& [kind, t] : trained) {
    std::printf("learned (%s) - majority, paired 95%% CI:", kind.c_str());
    for (uint32_t n : kNs) {
      const std::vector<double> m = Means(QuestionScores(t.holdout, n, true));
      const std::vector<double> v = Means(QuestionScores(t.holdout, n, false));
      std::vector<double> d(m.size());
      for (size_t i = 0; i < m.size(); ++i) d[i] = m[i] - v[i];
      const Interval ci = BootstrapMeanCi(d);
      std::printf("  N=%u [%.4f, %.4f]", n, ci.low, ci.high);
      if (n == kMaxN) {
        EXPECT_GT(ci.low, 0) << kind << " at N=" << n;
      }
    }
    std::printf("; log-loss train %.4f held-out %.4f\n", t.train.log_loss, t.holdout.log_loss);
  }
  std::filesystem::remove_all(dir);
}

// A logistic scorer that trusts the verifier: P(correct) rises with the verifier's score.
std::string VerifierTrustingModel() {
  const size_t n = learned::FeatureNames().size();
  std::vector<double> w(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (learned::FeatureNames()[i] == "verifier_score") w[i] = 8;
  }
  learned::ScorerModel m(learned::ModelKind::kLogistic, 64, {},
                         std::make_unique<learned::LogisticModel>(std::vector<double>(n, 0),
                                                                  std::vector<double>(n, 1), w, -4),
                         nullptr);
  return *m.Serialize();
}

// Through the server: the verifier's grades reach the scorer as features, and a model file that
// does not load is majority vote, saying why.
TEST(LearnedEvalTest, ServedWithAVerifierAndWithABrokenModel) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/trust.json") << VerifierTrustingModel();
  std::ofstream(dir + "/broken.json") << "{\"format\": \"ptc-scorer\"}";
  setenv("PTC_SCORER_DIR", dir.c_str(), 1);
  std::unique_ptr<Server> server;
  std::unique_ptr<v1::Orchestrator::Stub> stub;
  ASSERT_NO_FATAL_FAILURE(StartServer(FastSim(), &server, &stub));
  auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
  ASSERT_TRUE(questions.ok()) << questions.status();

  EvalOptions options;
  options.aggregation.mutable_learned()->set_model("trust");
  options.aggregation.mutable_learned()->mutable_verifier()->set_model(
      absl::StrCat(kSimVerifierModel, ":auc=0.9"));
  int graded = 0;
  for (int q = 0; q < 20; ++q) {
    const v1::SolveRequest request = BuildRequest((*questions)[q], q, 0, 16, options);
    grpc::ClientContext ctx;
    v1::SolveResponse response;
    ASSERT_TRUE(stub->Solve(&ctx, request, &response).ok());
    EXPECT_NE(response.selection_rule().find("logistic scorer trust@"), std::string::npos)
        << response.selection_rule();
    if (response.candidates_size() < 2) continue;
    ++graded;
    EXPECT_GT(response.verification().calls_size(), 0);
    // The most probable candidate is the one the verifier scored highest.
    double best = -1;
    std::string best_answer;
    for (const v1::Candidate& c : response.candidates()) {
      if (c.has_verifier_score() && c.verifier_score() > best) {
        best = c.verifier_score();
        best_answer = c.answer();
      }
    }
    EXPECT_EQ(response.answer(), best_answer) << response.selection_rule();
  }
  EXPECT_GT(graded, 0);

  options.aggregation.Clear();
  options.aggregation.mutable_learned()->set_model("broken");
  const v1::SolveRequest request = BuildRequest((*questions)[0], 0, 0, 8, options);
  grpc::ClientContext ctx;
  v1::SolveResponse response;
  ASSERT_TRUE(stub->Solve(&ctx, request, &response).ok());
  EXPECT_FALSE(response.answer().empty());
  EXPECT_NE(response.selection_rule().find("learned scorer broken unavailable: "),
            std::string::npos)
      << response.selection_rule();
  EXPECT_NE(response.selection_rule().find(dir + "/broken.json"), std::string::npos);

  options.aggregation.mutable_learned()->set_model("../broken");
  grpc::ClientContext bad_ctx;
  const grpc::Status bad =
      stub->Solve(&bad_ctx, BuildRequest((*questions)[0], 0, 0, 8, options), &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("aggregation.learned.model"), std::string::npos);
  server->Shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ptc::eval
