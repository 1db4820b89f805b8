// Majority vote (self-consistency, Wang et al. 2022): the answer given by the most chains wins.
// Ties go to the answer of the earliest chain in the plan (see aggregators/tally.h), so the
// result does not depend on the order in which chains finish. Confidence is the winner's share
// of the parseable votes. Unparseable chains never win.
#pragma once

#include "aggregators/aggregator.h"

namespace ptc {

class MajorityAggregator : public Aggregator {
 public:
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::MajorityVote& config);
  std::string name() const override { return "majority"; }
  Selection Select(const SelectionInput& input) const override;
};

}  // namespace ptc
