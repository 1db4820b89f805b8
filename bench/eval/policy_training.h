// `ptc train-policy`: fits a thinking policy (service/compute/thinking_policy.h) on `ptc eval`
// records, for the auto compute policy's classifier-selective reasoning.
//
// Data. Records of the same call made with thinking off (thinking_budget 0) and on (the one
// budget > 0 the records hold, or think_budget) are paired: same question id, repeat, N,
// strategy, stop rule, backend and model, hence the same prompt and seeds. A pair whose two calls
// were both right or both wrong says nothing about which is better and is left out; each
// discordant pair is a row, its prompt's features (recorded by `ptc eval`) with label 1 when the
// thinking call was the right one. The policy's probability is then P(thinking is right | the two
// differ), and thinking is on when it is at least 1/2.
//
// Split by question, as the scorer's (scorer_training.h: HeldOut): held-out questions are
// evaluated by the accuracy of the decision on every held-out pair (concordant ones included)
// against never and always thinking, with each arm's mean cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/eval/records.h"
#include "service/compute/thinking_policy.h"

namespace ptc::eval {

struct PolicyTrainingOptions {
  double holdout_fraction = 0.3;  // in [0, 1)
  uint64_t split_seed = 0;
  uint32_t think_budget = 0;  // the thinking side's budget; 0 = the only one > 0 in the records
  double l2 = 1.0;
};

// Never / always / the policy, on one side of the split.
struct PolicyEvaluation {
  size_t questions = 0;
  size_t pairs = 0;       // (question, repeat, N, series) with both calls
  size_t discordant = 0;  // the rows (on the training side, the rows fitted)
  double never_accuracy = 0, always_accuracy = 0, policy_accuracy = 0;
  double never_cost_usd = 0, always_cost_usd = 0, policy_cost_usd = 0;  // mean per call
  double think_share = 0;  // of pairs, where the policy thinks
};

struct TrainedPolicy {
  std::shared_ptr<compute::ThinkingPolicy> policy;
  std::string file;  // the serialized policy
  uint32_t think_budget = 0;
  PolicyEvaluation train, holdout;
};

// INVALID_ARGUMENT when the records have no pairs, no discordant pair on the training side, or
// no prompt features, or more than one thinking budget and none chosen.
absl::StatusOr<TrainedPolicy> TrainThinkingPolicy(const std::vector<Record>& records,
                                                  const PolicyTrainingOptions& options);

}  // namespace ptc::eval
