// A learned scorer's model: one self-describing JSON file that `ptc train-scorer` writes and the
// server loads (aggregators/learned/model_store.h).
//
//   {"format": "ptc-scorer", "format_version": 1, "kind": "xgboost" | "logistic",
//    "feature_version": 1, "features": ["vote_share", ...],
//    "confidence_window": 64,
//    "training": {"records": "...", "ns": [8, 16, 32], "holdout_fraction": 0.5, ...,
//                 "holdout_log_loss": 0.31, "holdout_accuracy": 0.87, ...},
//    "logistic": {"mean": [...], "scale": [...], "weights": [...], "bias": -0.4},
//    "xgboost": {"encoding": "ubj-base64", "booster": "..."}}
//
// Exactly one of "logistic" and "xgboost" is present, as `kind` says. `confidence_window` is the
// group window of the confidence statistics the model was trained on (0: the chains had none), and
// the window the server asks for when it serves the model. The version is the first 16 hex digits
// of the SHA-256 of the file's bytes. Loading checks the format, the feature version and that
// the feature list is exactly FeatureNames(); every error names the file.
//
// Immutable once built; Predict is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/learned/logistic_model.h"
#include "aggregators/learned/xgboost_model.h"

namespace ptc::learned {

enum class ModelKind { kXgboost, kLogistic };
const char* KindName(ModelKind kind);

// What training reports, kept in the file.
struct TrainingSummary {
  std::string records;          // the records file trained on
  std::vector<uint32_t> ns;     // the N (chain-prefix sizes) the examples were drawn at
  double holdout_fraction = 0;  // of questions, by a hash of the question id
  uint64_t split_seed = 0;
  uint32_t train_questions = 0, holdout_questions = 0;
  uint64_t train_selections = 0, holdout_selections = 0;  // (record, N) decisions
  uint64_t train_candidates = 0, holdout_candidates = 0;  // rows
  double train_log_loss = 0, holdout_log_loss = 0;
  double train_accuracy = 0, holdout_accuracy = 0;  // selection accuracy of the model
  double train_majority_accuracy = 0, holdout_majority_accuracy = 0;
};

class ScorerModel {
 public:
  ScorerModel(ModelKind kind, uint32_t confidence_window, TrainingSummary training,
              std::unique_ptr<LogisticModel> logistic, std::unique_ptr<XgboostModel> xgboost);

  // Reads and validates a model file.
  static absl::StatusOr<std::shared_ptr<const ScorerModel>> Load(const std::string& path);
  // Parses a model file's bytes; `origin` names it in errors.
  static absl::StatusOr<std::shared_ptr<const ScorerModel>> Parse(const std::string& bytes,
                                                                  const std::string& origin);
  // The file's bytes (what Parse reads back); also sets version() to their hash.
  absl::StatusOr<std::string> Serialize();

  ModelKind kind() const { return kind_; }
  // The content hash of the bytes it was parsed from or serialized to; empty before either.
  const std::string& version() const { return version_; }
  uint32_t confidence_window() const { return confidence_window_; }
  const TrainingSummary& training() const { return training_; }
  void set_training(TrainingSummary training) { training_ = std::move(training); }

  // P(correct) of each row (row-major, FeatureNames().size() values each).
  absl::StatusOr<std::vector<double>> Predict(const std::vector<float>& rows) const;

 private:
  ModelKind kind_;
  uint32_t confidence_window_;
  TrainingSummary training_;
  std::unique_ptr<LogisticModel> logistic_;
  std::unique_ptr<XgboostModel> xgboost_;
  std::string version_;
};

// The version of a model file's bytes: the first 16 hex digits of their SHA-256.
std::string ModelVersion(const std::string& bytes);

}  // namespace ptc::learned
