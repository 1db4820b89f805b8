// `ptc train-policy`: fits a thinking policy (classifier-selective reasoning, the auto compute
// policy's thinking_model) on the records of `ptc eval` runs made with thinking off and on, and
// writes the policy file the server loads (bench/eval/policy_training.h says how).
//
//   ptc train-policy --records FILE --out POLICY [--think-budget B] [--holdout-fraction F]
//                    [--split-seed S] [--l2 L]
//
// Prints the pairs, the split, and never-think / always-think / policy accuracy and cost on both
// sides. The file is written beside POLICY and renamed over it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ptc::client {

inline constexpr char kTrainPolicyUsage[] =
    "usage: ptc train-policy --records FILE --out POLICY [options]\n"
    "\n"
    "Fits a thinking policy on the records of `ptc eval` runs made with thinking off and on over\n"
    "the same questions, e.g.\n"
    "  ptc eval --dataset bench/data/mixed_reasoning_if.jsonl --thinking-budget 0,4096 --n 1 \\\n"
    "           --repeats 4 --out DIR\n"
    "and writes the policy file the auto compute policy loads (put it in the policy directory,\n"
    "$PTC_POLICY_DIR or bench/data/policies, as NAME.json; request it with\n"
    "compute.auto.thinking_model = NAME, or ptc eval --compute auto:policy=NAME).\n"
    "\n"
    "options:\n"
    "  --records FILE          records.jsonl of one or more ptc eval runs (required)\n"
    "  --out POLICY            the policy file to write (required)\n"
    "  --think-budget B        the thinking side's budget (default: the only one in the records)\n"
    "  --holdout-fraction F    questions held out for evaluation, in [0, 1) (default 0.3)\n"
    "  --split-seed S          seed of the question hash (default 0)\n"
    "  --l2 L                  L2 penalty of the logistic regression (default 1)\n";

// Runs the command with its arguments (after "train-policy"); returns the exit code: 0, 1 on a
// failure, 2 on bad usage.
int RunTrainPolicyCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

}  // namespace ptc::client
