// DeepConf offline (Fu et al. 2025): keep the keep_percent% most confident answering chains
// (default 90, the paper's safe choice; at least one chain), then a confidence-weighted vote among
// them. See aggregators/confidence/confidence_vote.h for the weights, ties, and the fallback to a
// plain vote without log-probabilities.
#pragma once

#include "aggregators/aggregator.h"

namespace ptc {

inline constexpr double kDefaultKeepPercent = 90;

class FilteredAggregator : public Aggregator {
 public:
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::FilteredVote& config);
  FilteredAggregator(v1::ConfidenceMeasure measure, uint32_t window, double keep_percent)
      : measure_(measure), window_(window), keep_percent_(keep_percent) {}
  std::string name() const override { return "filtered"; }
  bool wants_logprobs() const override { return true; }
  uint32_t confidence_window() const override { return window_; }
  Selection Select(const SelectionInput& input) const override;

 private:
  const v1::ConfidenceMeasure measure_;
  const uint32_t window_;
  const double keep_percent_;
};

}  // namespace ptc
