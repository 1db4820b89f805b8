// Training the learned scorer (aggregators/learned/) from the records `ptc eval` writes
// (records.h): what `ptc train-scorer` runs.
//
// Examples. A record is one Solve call: its chains, in plan order, with their answers, usage,
// finish reasons, confidence statistics and the verifier's grades. For each N of `ns` up to the
// record's N, the plan-order prefix of N chains is one decision: the chains are rebuilt as
// ChainRecords (ToChainRecord), tallied as the server tallies them, and each candidate's
// features come from learned::ComputeFeatures, the function the server calls; a candidate's label
// is whether it equals the reference answer. Prefixes are valid because chain i of a call has seed
// + i whatever N was asked for, so a prefix is exactly what a call at that N draws.
//
// Which records: those that succeeded, have a reference, ran the fixed stop rule and have chains.
// Records of the same draw (question id, seed, backend, model, thinking budget), e.g. from several
// series of one `ptc eval` run or from several N, are used once: the one with the largest N.
// Every chain statistic must come from one confidence window (the model serves with it).
//
// Split. A question is held out when a hash of (split_seed, question id) falls below
// holdout_fraction, so every repeat and N of a question falls on one side: train and held-out
// never share a question. The model is fitted on the training side; both sides are evaluated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/learned/features.h"
#include "aggregators/learned/scorer_model.h"
#include "bench/eval/records.h"

namespace ptc::eval {

struct ScorerTrainingOptions {
  learned::ModelKind kind = learned::ModelKind::kXgboost;
  double holdout_fraction = 0.3;  // in [0, 1)
  uint64_t split_seed = 0;
  // Prefix sizes; empty = the powers of two from 2 up to each record's N, and that N.
  std::vector<uint32_t> ns;
  learned::XgboostOptions xgboost;
  learned::LogisticOptions logistic;
};

// Whether question `id` is on the held-out side.
bool HeldOut(const std::string& id, double fraction, uint64_t seed);

// One selection: a record's first n chains.
struct Decision {
  std::string question_id;
  int question = 0;
  int repeat = 0;
  uint32_t n = 0;
  std::vector<learned::CandidateFeatures> candidates;  // ranked by votes: [0] is majority's pick
  std::vector<float> labels;                           // per candidate: 1 = the reference
};

struct Dataset {
  std::vector<Decision> decisions;
  uint32_t confidence_window = 0;  // of the chains' statistics; 0 when none had any
  size_t records_used = 0;
  size_t records_skipped = 0;  // failed, no reference, another stop rule, or a duplicate draw
};

// The decisions of `records` at each of `ns` (see ScorerTrainingOptions::ns). INVALID_ARGUMENT
// when the records mix confidence windows or leave no decision.
absl::StatusOr<Dataset> BuildDataset(const std::vector<Record>& records,
                                     const std::vector<uint32_t>& ns);

// One decision as the model and as majority vote decided it.
struct DecisionOutcome {
  const Decision* decision = nullptr;
  bool model_correct = false;
  bool majority_correct = false;
};

struct Evaluation {
  size_t questions = 0;
  size_t selections = 0;  // decisions
  size_t candidates = 0;  // rows
  double log_loss = 0;    // mean over rows
  double accuracy = 0;    // of the model's selections
  double majority_accuracy = 0;
  std::vector<DecisionOutcome> outcomes;
};

// Scores every decision with `model` and selects as the learned strategy does
// (learned::RankByProbability). A decision without candidates is wrong for both.
absl::StatusOr<Evaluation> Evaluate(const learned::ScorerModel& model,
                                    const std::vector<const Decision*>& decisions);

struct TrainedScorer {
  Dataset data;  // the decisions the outcomes below point to
  std::shared_ptr<learned::ScorerModel> model;
  std::string file;  // the model file's bytes
  Evaluation train, holdout;
};

// Builds the dataset, splits it, fits the model on the training side, evaluates both sides, and
// serialises the model with its training summary. `records_name` is kept in the summary.
// INVALID_ARGUMENT for bad options or records that give no training example of each class.
absl::StatusOr<TrainedScorer> TrainScorer(const std::vector<Record>& records,
                                          const std::string& records_name,
                                          const ScorerTrainingOptions& options);

}  // namespace ptc::eval
