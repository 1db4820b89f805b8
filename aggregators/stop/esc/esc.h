// Early-Stopping Self-Consistency (Li et al., arXiv:2401.10480): chains form windows of `window`
// consecutive plan indices; stop at the first window whose chains have all finished and whose
// answers all agree (every chain of it voted, for the same answer). The answer is then the
// majority over every finished chain. The statistic is the agreeing window's index.
#pragma once

#include "aggregators/stop_rule.h"

namespace ptc {

class EscRule : public StopRule {
 public:
  static absl::StatusOr<std::unique_ptr<StopRule>> Create(
      const v1::StopRule::EarlyStopping& config);
  explicit EscRule(uint32_t window) : window_(window) {}

  std::string name() const override { return "esc"; }
  uint32_t default_wave_size() const override { return window_; }
  StopCheck Check(const Tally& tally, std::span<const ChainVote> chains) const override;

 private:
  const uint32_t window_;
};

}  // namespace ptc
