// DeepConf online (Fu et al., arXiv:2508.15260): the first `warmup` chains in plan order run to
// the end; the (100 - keep_percent) percentile of their lowest group confidences becomes the
// threshold below which later chains are cut mid-stream (the Run does the cutting, see
// StopRule::CutThreshold); stop once every warm-up chain has finished and the leading answer holds
// at least `consensus` of the confidence-weighted vote. A vote's weight is its chain's lowest
// group confidence (1 for a chain without log-probabilities, so a backend that gives none degrades
// to a plain vote share). The statistic is the leader's weighted share.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "aggregators/stop_rule.h"

namespace ptc {

class DeepConfOnlineRule : public StopRule {
 public:
  static constexpr uint32_t kDefaultWarmup = 16;
  static constexpr double kDefaultKeepPercent = 90;
  static constexpr double kDefaultConsensus = 0.95;
  static constexpr uint32_t kDefaultWindow = 2048;

  // `aggregation_window`: the aggregation's confidence window, 0 when it uses none.
  static absl::StatusOr<std::unique_ptr<StopRule>> Create(
      const v1::StopRule::DeepConfOnline& config);
  DeepConfOnlineRule(uint32_t warmup, double keep_percent, double consensus, uint32_t window)
      : warmup_(warmup), keep_percent_(keep_percent), consensus_(consensus), window_(window) {}

  std::string name() const override { return "deepconf_online"; }
  // The warm-up at once, then one chain at a time (fewest tokens; the request may ask for wider
  // waves).
  uint32_t default_wave_size() const override { return 1; }
  uint32_t default_first_wave() const override { return warmup_; }
  StopCheck Check(const Tally& tally, std::span<const ChainVote> chains) const override;
  uint32_t confidence_window() const override { return window_; }
  std::optional<double> CutThreshold(std::span<const ChainVote> chains) const override;
  uint32_t protected_chains() const override { return warmup_; }

 private:
  const uint32_t warmup_;
  const double keep_percent_;
  const double consensus_;
  const uint32_t window_;
};

}  // namespace ptc
