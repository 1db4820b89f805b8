// Adaptive-Consistency (Aggarwal et al., arXiv:2305.11860), the Beta criterion: with a and b the
// votes of the two leading answers, the posterior probability that the leader is the most likely
// answer is P(x > 0.5) for x ~ Beta(a + 1, b + 1); stop when it reaches the threshold.
#pragma once

#include <cstdint>

#include "aggregators/stop_rule.h"

namespace ptc {

// P(x > 0.5) for x ~ Beta(a + 1, b + 1). For integer parameters this is the probability that a
// Binomial(a + b + 1, 1/2) is at most a (exact; computed in log space for large counts).
double BetaLeaderProbability(uint32_t a, uint32_t b);

class AdaptiveConsistencyRule : public StopRule {
 public:
  static absl::StatusOr<std::unique_ptr<StopRule>> Create(
      const v1::StopRule::AdaptiveConsistency& config);
  explicit AdaptiveConsistencyRule(double threshold) : threshold_(threshold) {}

  std::string name() const override { return "adaptive_consistency"; }
  uint32_t default_wave_size() const override { return 4; }
  StopCheck Check(const Tally& tally, std::span<const ChainVote> chains) const override;

 private:
  const double threshold_;
};

}  // namespace ptc
