// The stop rule of the `auto` compute policy (ComputePolicy.Auto in the request; built by
// planning, not from StopRule): compute-optimal allocation from a probe wave's agreement.
//
// The first `probe` chains in plan order are the probe. Once they have all finished, their
// agreement is the leading answer's share of the probe's parseable votes (0 when none voted). At
// or above `settled` the question is settled: stop, the probe's answer stands. Below it the
// question is contested and the rest of the plan runs, under the request's own stop rule
// (`inner`; fixed N when the request named none), which decides from then on.
//
// Launch: the probe first, then the inner rule's waves (all the rest at once when it has none).
// Confidence windows, cut thresholds and protected chains are the inner rule's.
#pragma once

#include <memory>
#include <optional>

#include "aggregators/stop_rule.h"

namespace ptc {

// The leading answer's share of the parseable votes among `chains` (0 when none voted).
double Agreement(std::span<const ChainVote> chains);

class AutoComputeRule : public StopRule {
 public:
  // probe >= 1; settled in (0.5, 1]; inner not null.
  AutoComputeRule(uint32_t probe, double settled, std::unique_ptr<StopRule> inner)
      : probe_(probe), settled_(settled), inner_(std::move(inner)) {}

  std::string name() const override { return "auto"; }
  uint32_t default_first_wave() const override { return probe_; }
  uint32_t default_wave_size() const override;
  // The probe's agreement once it has finished: stop when settled, else as the inner rule says.
  // The statistic is the agreement when the probe settles, else the inner rule's.
  StopCheck Check(const Tally& tally, std::span<const ChainVote> chains) const override;

  uint32_t confidence_window() const override { return inner_->confidence_window(); }
  std::optional<double> CutThreshold(std::span<const ChainVote> chains) const override {
    return inner_->CutThreshold(chains);
  }
  uint32_t protected_chains() const override { return inner_->protected_chains(); }

  uint32_t probe() const { return probe_; }
  double settled() const { return settled_; }
  const StopRule& inner() const { return *inner_; }

 private:
  const uint32_t probe_;
  const double settled_;
  const std::unique_ptr<StopRule> inner_;
  // The probe's agreement, once it has finished (its votes do not change after that). The rule is
  // used from one request's strand only (stop_rule.h), so Check may fill it.
  mutable std::optional<double> probe_agreement_;
};

}  // namespace ptc
