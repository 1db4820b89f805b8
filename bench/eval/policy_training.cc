#include "bench/eval/policy_training.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/eval/scorer_training.h"
#include "service/compute/prompt_features.h"

namespace ptc::eval {
namespace {

struct Pair {
  const Record* off = nullptr;
  const Record* on = nullptr;
};

using PairKey =
    std::tuple<std::string, int, uint32_t, std::string, std::string, std::string, std::string>;

PairKey KeyOf(const Record& r) {
  return {r.id, r.repeat, r.n, r.strategy, r.stop, r.backend, r.model};
}

PolicyEvaluation Evaluate(const std::vector<Pair>& pairs, const compute::ThinkingPolicy* policy) {
  PolicyEvaluation e;
  std::set<std::string> questions;
  for (const Pair& p : pairs) {
    questions.insert(p.off->id);
    const bool think =
        policy != nullptr && policy->Think(policy->model().Predict(p.on->prompt_features)[0]);
    const Record& chosen = think ? *p.on : *p.off;
    e.never_accuracy += p.off->correct;
    e.always_accuracy += p.on->correct;
    e.policy_accuracy += chosen.correct;
    e.never_cost_usd += p.off->cost_usd;
    e.always_cost_usd += p.on->cost_usd;
    e.policy_cost_usd += chosen.cost_usd;
    e.think_share += think;
    e.discordant += p.off->correct != p.on->correct;
  }
  e.questions = questions.size();
  e.pairs = pairs.size();
  if (e.pairs > 0) {
    for (double* x : {&e.never_accuracy, &e.always_accuracy, &e.policy_accuracy, &e.never_cost_usd,
                      &e.always_cost_usd, &e.policy_cost_usd, &e.think_share}) {
      *x /= e.pairs;
    }
  }
  return e;
}

}  // namespace

absl::StatusOr<TrainedPolicy> TrainThinkingPolicy(const std::vector<Record>& records,
                                                  const PolicyTrainingOptions& options) {
  uint32_t budget = options.think_budget;
  if (budget == 0) {
    std::set<uint32_t> budgets;
    for (const Record& r : records) {
      if (r.thinking_budget > 0) budgets.insert(r.thinking_budget);
    }
    if (budgets.empty()) {
      return absl::InvalidArgumentError(
          "no record with thinking on: run ptc eval with --thinking-budget 0,B");
    }
    if (budgets.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("the records hold several thinking budgets (",
                                                     absl::StrJoin(budgets, ", "),
                                                     "): choose one with --think-budget"));
    }
    budget = *budgets.begin();
  }
  const size_t features = compute::PromptFeatureNames().size();
  std::map<PairKey, Pair> by_key;
  for (const Record& r : records) {
    if (!r.ok || r.prompt_features.size() != features || r.compute.has_value()) continue;
    if (r.thinking_budget == 0) {
      by_key[KeyOf(r)].off = &r;
    } else if (r.thinking_budget == budget) {
      by_key[KeyOf(r)].on = &r;
    }
  }
  std::vector<Pair> train, holdout;
  for (const auto& [key, p] : by_key) {
    if (p.off == nullptr || p.on == nullptr) continue;
    (HeldOut(p.off->id, options.holdout_fraction, options.split_seed) ? holdout : train)
        .push_back(p);
  }
  if (train.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no pair of calls with thinking off and at budget ", budget,
                     " on the training side (records need prompt features: ptc eval writes them)"));
  }
  std::vector<float> rows, labels;
  for (const Pair& p : train) {
    if (p.off->correct == p.on->correct) continue;
    rows.insert(rows.end(), p.on->prompt_features.begin(), p.on->prompt_features.end());
    labels.push_back(p.on->correct ? 1.0f : 0.0f);
  }
  if (labels.empty()) {
    return absl::InvalidArgumentError(
        "no discordant pair on the training side: thinking never changed an outcome");
  }
  learned::LogisticOptions lo;
  lo.l2 = options.l2;
  auto model = learned::LogisticModel::Train(rows, features, labels, lo);
  if (!model.ok()) return model.status();

  TrainedPolicy t;
  t.think_budget = budget;
  // A first policy to evaluate with; the file carries the evaluation.
  auto policy =
      std::make_shared<compute::ThinkingPolicy>(*model, 0.5, std::map<std::string, double>{});
  t.train = Evaluate(train, policy.get());
  t.holdout = Evaluate(holdout, policy.get());
  std::map<std::string, double> summary = {
      {"think_budget", budget},
      {"holdout_fraction", options.holdout_fraction},
      {"split_seed", static_cast<double>(options.split_seed)},
      {"train_questions", static_cast<double>(t.train.questions)},
      {"train_pairs", static_cast<double>(t.train.pairs)},
      {"train_rows", static_cast<double>(labels.size())},
      {"holdout_questions", static_cast<double>(t.holdout.questions)},
      {"holdout_pairs", static_cast<double>(t.holdout.pairs)},
      {"holdout_never_accuracy", t.holdout.never_accuracy},
      {"holdout_always_accuracy", t.holdout.always_accuracy},
      {"holdout_policy_accuracy", t.holdout.policy_accuracy},
  };
  t.policy = std::make_shared<compute::ThinkingPolicy>(*std::move(model), 0.5, std::move(summary));
  t.file = t.policy->Serialize();
  return t;
}

}  // namespace ptc::eval
