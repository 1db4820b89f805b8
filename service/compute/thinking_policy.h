// A thinking policy: predicts from a prompt's features (prompt_features.h) whether extended
// thinking helps, for the `auto` compute policy's thinking_model (classifier-selective reasoning).
// Trained by `ptc train-policy` from `ptc eval` records (bench/eval/policy_training.h); one JSON
// file per policy:
//
//   {"format": "ptc-thinking-policy", "format_version": 1, "feature_version": 1,
//    "features": ["log_bytes", ...], "threshold": 0.5,
//    "logistic": {"mean": [...], "scale": [...], "weights": [...], "bias": -0.3},
//    "training": {"records": "...", "think_budget": 4096, "questions": 120, ...}}
//
// Thinking is on when P(thinking helps) >= threshold. The version is the first 16 hex digits of
// the SHA-256 of the file's bytes. Loading checks the format, the feature version and the
// feature names; every error names the file.
//
// Immutable once built; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "aggregators/learned/logistic_model.h"
#include "samplers/chain.h"

namespace ptc::compute {

class ThinkingPolicy {
 public:
  ThinkingPolicy(learned::LogisticModel model, double threshold,
                 std::map<std::string, double> training);

  static absl::StatusOr<std::shared_ptr<const ThinkingPolicy>> Load(const std::string& path);
  static absl::StatusOr<std::shared_ptr<const ThinkingPolicy>> Parse(const std::string& bytes,
                                                                     const std::string& origin);
  // The file's bytes (what Parse reads back); also sets version().
  std::string Serialize();

  // P(thinking helps) for these messages.
  double Probability(const std::vector<ChatMessage>& messages) const;
  bool Think(double probability) const { return probability >= threshold_; }

  double threshold() const { return threshold_; }
  const std::string& version() const { return version_; }
  // Numbers training reported (sizes, held-out accuracies), kept in the file.
  const std::map<std::string, double>& training() const { return training_; }
  const learned::LogisticModel& model() const { return model_; }

 private:
  learned::LogisticModel model_;
  double threshold_;
  std::map<std::string, double> training_;
  std::string version_;
};

// The policy directory: $PTC_POLICY_DIR when set, else the source tree's bench/data/policies.
std::string DefaultPolicyDir();

// Policies by name (NAME.json in a directory), each read on first use and kept: a changed file
// is read by a new server (or after Forget). The first use of a name reads a small file in the
// caller; PreloadAll() reads every policy ahead of that, at server start. Thread-safe.
class PolicyStore {
 public:
  explicit PolicyStore(std::string dir) : dir_(std::move(dir)) {}
  // The process-wide store over DefaultPolicyDir().
  static PolicyStore& Default();

  // INVALID_ARGUMENT for a bad name or a missing file; the load error otherwise.
  absl::StatusOr<std::shared_ptr<const ThinkingPolicy>> Get(const std::string& name);
  // Loads every NAME.json of the directory; returns the errors of those that failed.
  std::vector<std::string> PreloadAll();
  void Forget(const std::string& name);

 private:
  const std::string dir_;
  std::mutex mu_;  // guards loaded_
  absl::flat_hash_map<std::string, std::shared_ptr<const ThinkingPolicy>> loaded_;
};

}  // namespace ptc::compute
