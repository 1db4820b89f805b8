#include "service/client/train_scorer_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "bench/eval/records.h"
#include "bench/eval/scorer_training.h"
#include "service/client/arg_parsing.h"

namespace ptc::client {
namespace {

struct Args {
  std::string records;
  std::string out;
  std::string kind = "xgboost";
  std::string holdout_fraction;
  std::string split_seed;
  std::string n;
  std::string rounds;
};

// Fills `options` from `args`; false (after printing) on a bad value.
bool ToOptions(const Args& args, eval::ScorerTrainingOptions& options, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "ptc train-scorer: " << message << "\n";
    return false;
  };
  if (args.records.empty()) return fail("--records: required (a records.jsonl of ptc eval)");
  if (args.out.empty()) return fail("--out: required (the model file to write)");
  if (args.kind == "xgboost") {
    options.kind = learned::ModelKind::kXgboost;
  } else if (args.kind == "logistic") {
    options.kind = learned::ModelKind::kLogistic;
  } else {
    return fail(absl::StrCat("--kind: \"", args.kind, "\" is not xgboost or logistic"));
  }
  if (!args.holdout_fraction.empty()) {
    double f = 0;
    if (!absl::SimpleAtod(args.holdout_fraction, &f) || !(f >= 0 && f < 1)) {
      return fail(absl::StrCat("--holdout-fraction: \"", args.holdout_fraction,
                               "\" is not a number in [0, 1)"));
    }
    options.holdout_fraction = f;
  }
  if (!args.split_seed.empty()) {
    auto s = ParseUint64("split-seed", args.split_seed);
    if (!s.ok()) return fail(std::string(s.status().message()));
    options.split_seed = *s;
  }
  if (!args.n.empty()) {
    auto ns = ParseNList("n", args.n);
    if (!ns.ok()) return fail(std::string(ns.status().message()));
    options.ns = *ns;
  }
  if (!args.rounds.empty()) {
    auto r = ParsePositiveUint32("rounds", args.rounds);
    if (!r.ok() || *r > 10000) {
      return fail(absl::StrCat("--rounds: \"", args.rounds, "\" is not in [1, 10000]"));
    }
    options.xgboost.rounds = static_cast<int>(*r);
  }
  return true;
}

void PrintEvaluation(const char* side, const eval::Evaluation& e, std::ostream& out) {
  out << absl::StrFormat(
      "  %-9s %4zu questions %6zu selections %7zu candidates  %8.4f  %8.4f  %8.4f\n", side,
      e.questions, e.selections, e.candidates, e.log_loss, e.accuracy, e.majority_accuracy);
}

// Held-out accuracy by N: the model's selections against majority vote's.
void PrintByN(const eval::Evaluation& e, std::ostream& out) {
  std::map<uint32_t, std::pair<size_t, std::pair<size_t, size_t>>> by_n;  // n -> (count, (m, v))
  for (const eval::DecisionOutcome& o : e.outcomes) {
    auto& [count, right] = by_n[o.decision->n];
    ++count;
    right.first += o.model_correct;
    right.second += o.majority_correct;
  }
  out << "held-out accuracy by N (scorer vs majority):\n";
  for (const auto& [n, v] : by_n) {
    out << absl::StrFormat("  N=%-4u %5zu selections  %.4f vs %.4f\n", n, v.first,
                           static_cast<double>(v.second.first) / v.first,
                           static_cast<double>(v.second.second) / v.first);
  }
}

}  // namespace

int RunTrainScorerCommand(const std::vector<std::string>& argv, std::ostream& out,
                          std::ostream& err) {
  for (const std::string& a : argv) {
    if (a == "--help" || a == "-h" || a == "--helpfull") {
      out << kTrainScorerUsage;
      return 0;
    }
  }
  Args args;
  if (!ParseCommandOptions("train-scorer", argv,
                           {{"records", &args.records},
                            {"out", &args.out},
                            {"kind", &args.kind},
                            {"holdout_fraction", &args.holdout_fraction},
                            {"split_seed", &args.split_seed},
                            {"n", &args.n},
                            {"rounds", &args.rounds}},
                           err)) {
    return 2;
  }
  eval::ScorerTrainingOptions options;
  if (!ToOptions(args, options, err)) return 2;

  std::error_code ec;
  if (!std::filesystem::is_regular_file(args.records, ec)) {
    err << "ptc train-scorer: --records: " << args.records << " is not a file\n";
    return 1;
  }
  auto records = eval::LoadRecords(args.records, /*repair=*/false);
  if (!records.ok()) {
    err << "ptc train-scorer: " << records.status().message() << "\n";
    return 1;
  }
  auto trained = eval::TrainScorer(*records, args.records, options);
  if (!trained.ok()) {
    err << "ptc train-scorer: " << args.records << ": " << trained.status().message() << "\n";
    return 1;
  }
  const eval::Dataset& data = trained->data;
  const learned::TrainingSummary& t = trained->model->training();
  out << "records: " << args.records << ": " << data.records_used << " used, "
      << data.records_skipped << " skipped; " << data.decisions.size()
      << " selections at N = " << absl::StrJoin(t.ns, ",") << "; confidence window "
      << (data.confidence_window == 0 ? std::string("none (no log-probabilities recorded)")
                                      : absl::StrCat(data.confidence_window, " tokens"))
      << "\n";
  out << "split: questions held out by hash (fraction " << options.holdout_fraction << ", seed "
      << options.split_seed << ")\n";
  out << absl::StrFormat("  %-9s %-52s  %8s  %8s  %8s\n", "", "", "log-loss", "accuracy",
                         "majority");
  PrintEvaluation("train", trained->train, out);
  if (trained->holdout.selections > 0) {
    PrintEvaluation("held-out", trained->holdout, out);
    PrintByN(trained->holdout, out);
  } else {
    out << "  held-out: none (holdout fraction 0)\n";
  }
  if (!WriteFileAtomically("train-scorer", args.out, trained->file, err)) return 1;
  out << "model: " << learned::KindName(trained->model->kind()) << ", "
      << learned::FeatureNames().size() << " features, version " << trained->model->version()
      << ", " << trained->file.size() << " bytes, written to " << args.out << "\n";
  return 0;
}

}  // namespace ptc::client
