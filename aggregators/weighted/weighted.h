// Confidence-weighted vote (DeepConf offline without filtering, Fu et al. 2025): every answering
// chain votes with weight = its confidence under the chosen measure (default lowest group
// confidence over a 2048-token window). See aggregators/confidence/confidence_vote.h for how the
// measure maps to a weight, ties, and the fallback to a plain vote without log-probabilities.
#pragma once

#include "aggregators/aggregator.h"

namespace ptc {

class WeightedAggregator : public Aggregator {
 public:
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::WeightedVote& config);
  WeightedAggregator(v1::ConfidenceMeasure measure, uint32_t window)
      : measure_(measure), window_(window) {}
  std::string name() const override { return "weighted"; }
  bool wants_logprobs() const override { return true; }
  uint32_t confidence_window() const override { return window_; }
  Selection Select(const SelectionInput& input) const override;

 private:
  const v1::ConfidenceMeasure measure_;
  const uint32_t window_;
};

// Checks a window_tokens field (0 = default) and returns the window; INVALID_ARGUMENT naming
// `field` when above kMaxConfidenceWindow.
absl::StatusOr<uint32_t> ConfidenceWindowFromConfig(uint32_t window_tokens, const char* field);
// Checks a measure field: INVALID_ARGUMENT naming `field` for a value the enum does not know.
absl::Status ValidateMeasure(v1::ConfidenceMeasure measure, const char* field);

}  // namespace ptc
