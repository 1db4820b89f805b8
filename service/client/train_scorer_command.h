// `ptc train-scorer`: fits a learned scorer (aggregators/learned/) on the records of `ptc eval`
// runs and writes the model file the server's `learned` strategy loads.
//
//   ptc train-scorer --records FILE --out MODEL [--kind xgboost|logistic]
//                    [--holdout-fraction F] [--n LIST] [--split-seed S] [--rounds R]
//
// Prints the dataset, the split, and train and held-out log-loss and selection accuracy (against
// majority vote on the same selections, overall and per N). The model file is written to a
// temporary file beside MODEL and renamed over it, so a server watching MODEL never reads half a
// file.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ptc::client {

inline constexpr char kTrainScorerUsage[] =
    "usage: ptc train-scorer --records FILE --out MODEL [options]\n"
    "\n"
    "Fits a learned scorer on the labelled records of `ptc eval` runs (DIR/records.jsonl) and\n"
    "writes the model file the server's `learned` strategy loads (put it in the scorer\n"
    "directory, $PTC_SCORER_DIR or bench/data/scorers, as NAME.json; request it as\n"
    "learned:NAME). Record with a strategy that tracks confidence, e.g.\n"
    "  ptc eval --strategy weighted:64 --n 32 --repeats 6 --out DIR\n"
    "\n"
    "options:\n"
    "  --records FILE          records.jsonl of one or more ptc eval runs (required)\n"
    "  --out MODEL             the model file to write (required)\n"
    "  --kind K                xgboost (gradient-boosted trees, default) or logistic\n"
    "  --holdout-fraction F    questions held out for evaluation, by a hash of the question id,\n"
    "                          in [0, 1) (default 0.3)\n"
    "  --split-seed S          seed of that hash (default 0)\n"
    "  --n LIST                chain-prefix sizes to train on (default: 2, 4, 8, ... up to each\n"
    "                          record's N, and that N)\n"
    "  --rounds R              boosting rounds (xgboost; default 100)\n";

// Runs the command with its arguments (after "train-scorer"); returns the exit code: 0, 1 on a
// failure, 2 on bad usage.
int RunTrainScorerCommand(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

}  // namespace ptc::client
