#include "aggregators/stop/adaptive_consistency/adaptive_consistency.h"

#include <cmath>

namespace ptc {

double BetaLeaderProbability(uint32_t a, uint32_t b) {
  const uint32_t n = a + b + 1;
  // sum_{j=0}^{a} C(n, j) / 2^n, each term as exp(log C(n, j) - n log 2), with log C(n, j) built
  // step by step (std::lgamma is not thread-safe in glibc: it writes the global signgam).
  const double log_half_n = n * std::log(0.5);
  double log_c = 0;  // log C(n, 0)
  double sum = 0;
  for (uint32_t j = 0; j <= a; ++j) {
    sum += std::exp(log_c + log_half_n);
    log_c += std::log(double(n - j)) - std::log(double(j + 1));
  }
  return std::min(1.0, sum);
}

absl::StatusOr<std::unique_ptr<StopRule>> AdaptiveConsistencyRule::Create(
    const v1::StopRule::AdaptiveConsistency& config) {
  double threshold = config.threshold() == 0 ? 0.95 : config.threshold();
  if (!(threshold > 0.5 && threshold < 1)) {
    return absl::InvalidArgumentError("stop.adaptive_consistency.threshold: must be in (0.5, 1)");
  }
  return std::make_unique<AdaptiveConsistencyRule>(threshold);
}

StopCheck AdaptiveConsistencyRule::Check(const Tally& tally, std::span<const ChainVote>) const {
  const auto ranked = tally.RankedByVotes();
  if (ranked.empty()) return {};
  const uint32_t a = ranked[0].votes;
  const uint32_t b = ranked.size() > 1 ? ranked[1].votes : 0;
  const double p = BetaLeaderProbability(a, b);
  return {p >= threshold_, p};
}

PTC_REGISTER_STOP_RULE(v1::StopRule::AdaptiveConsistency, &AdaptiveConsistencyRule::Create);

}  // namespace ptc
