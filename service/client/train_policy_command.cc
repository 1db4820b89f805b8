#include "service/client/train_policy_command.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/eval/policy_training.h"
#include "bench/eval/records.h"
#include "service/client/arg_parsing.h"
#include "service/compute/prompt_features.h"

namespace ptc::client {
namespace {

void PrintSide(const char* side, const eval::PolicyEvaluation& e, std::ostream& out) {
  out << absl::StrFormat(
      "  %-9s %4zu questions %6zu pairs (%zu discordant)  accuracy never %.4f  always %.4f  "
      "policy %.4f  $/call %.5f %.5f %.5f  thinks on %.0f%%\n",
      side, e.questions, e.pairs, e.discordant, e.never_accuracy, e.always_accuracy,
      e.policy_accuracy, e.never_cost_usd, e.always_cost_usd, e.policy_cost_usd,
      100 * e.think_share);
}

}  // namespace

int RunTrainPolicyCommand(const std::vector<std::string>& argv, std::ostream& out,
                          std::ostream& err) {
  for (const std::string& a : argv) {
    if (a == "--help" || a == "-h" || a == "--helpfull") {
      out << kTrainPolicyUsage;
      return 0;
    }
  }
  std::string records_path, out_path, think_budget, holdout, split_seed, l2;
  if (!ParseCommandOptions("train-policy", argv,
                           {{"records", &records_path},
                            {"out", &out_path},
                            {"think_budget", &think_budget},
                            {"holdout_fraction", &holdout},
                            {"split_seed", &split_seed},
                            {"l2", &l2}},
                           err)) {
    return 2;
  }
  auto fail = [&err](const std::string& message) {
    err << "ptc train-policy: " << message << "\n";
    return 2;
  };
  if (records_path.empty()) return fail("--records: required (a records.jsonl of ptc eval)");
  if (out_path.empty()) return fail("--out: required (the policy file to write)");
  eval::PolicyTrainingOptions options;
  if (!think_budget.empty()) {
    auto b = ParsePositiveUint32("think-budget", think_budget);
    if (!b.ok()) return fail(std::string(b.status().message()));
    options.think_budget = *b;
  }
  if (!holdout.empty() && (!absl::SimpleAtod(holdout, &options.holdout_fraction) ||
                           !(options.holdout_fraction >= 0 && options.holdout_fraction < 1))) {
    return fail(absl::StrCat("--holdout-fraction: \"", holdout, "\" is not a number in [0, 1)"));
  }
  if (!split_seed.empty()) {
    auto s = ParseUint64("split-seed", split_seed);
    if (!s.ok()) return fail(std::string(s.status().message()));
    options.split_seed = *s;
  }
  if (!l2.empty() && (!absl::SimpleAtod(l2, &options.l2) || !(options.l2 >= 0))) {
    return fail(absl::StrCat("--l2: \"", l2, "\" is not a number >= 0"));
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(records_path, ec)) {
    err << "ptc train-policy: --records: " << records_path << " is not a file\n";
    return 1;
  }
  auto records = eval::LoadRecords(records_path, /*repair=*/false);
  if (!records.ok()) {
    err << "ptc train-policy: " << records.status().message() << "\n";
    return 1;
  }
  auto trained = eval::TrainThinkingPolicy(*records, options);
  if (!trained.ok()) {
    err << "ptc train-policy: " << records_path << ": " << trained.status().message() << "\n";
    return 1;
  }
  out << "records: " << records_path << ": thinking off vs at budget " << trained->think_budget
      << "; questions held out by hash (fraction " << options.holdout_fraction << ", seed "
      << options.split_seed << ")\n";
  PrintSide("train", trained->train, out);
  if (trained->holdout.pairs > 0) {
    PrintSide("held-out", trained->holdout, out);
  } else {
    out << "  held-out: none (holdout fraction 0)\n";
  }
  if (!WriteFileAtomically("train-policy", out_path, trained->file, err)) return 1;
  out << "policy: logistic, " << compute::PromptFeatureNames().size()
      << " prompt features, version " << trained->policy->version() << ", written to " << out_path
      << "\n";
  return 0;
}

}  // namespace ptc::client
