// Majority vote (self-consistency, Wang et al. 2022): the answer given by the most chains wins.
// Ties go to the answer of the earliest chain in the plan (see aggregators/tally.h), so the
// result does not depend on the order in which chains finish. Confidence is the winner's share
// of the parseable votes. Unparseable chains never win.
#pragma once

#include <string>

#include "aggregators/aggregator.h"

namespace ptc {

class MajorityAggregator : public Aggregator {
 public:
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::MajorityVote& config);
  std::string name() const override { return "majority"; }
  Selection Select(const SelectionInput& input) const override;
};

// What a strategy that could not use its own rule selects: the majority vote, with
// `Selection.fallback` = `why` and a rule that says "`prefix` `why`; majority (...)".
Selection MajorityFallback(const SelectionInput& input, const std::string& prefix,
                           const std::string& why);

}  // namespace ptc
