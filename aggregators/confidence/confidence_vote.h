// The confidence-weighted vote shared by the `weighted` and `filtered` strategies (DeepConf
// offline, Fu et al. 2025).
//
// Voters are the counted chains that finished OK with a parseable answer. Each voter's value is
// the chosen ConfidenceMeasure of its ChainRecord.confidence; a voter without statistics (its
// backend gave no log-probabilities while others did) takes the mean value of those with them.
// Filtering keeps the ceil(keep_percent% of voters) (at least one) with the highest values, ties
// to the earlier chain in the plan. Each kept voter's vote weight is its value floored at
// kMinVoteWeight: token confidences are -mean log-probabilities, so they are >= 0 already, and the
// floor keeps every kept chain's weight positive. The answer with the most weight wins; ties go to
// the earliest chain in the plan (aggregators/tally.h). When no voter has statistics at all, the
// strategy falls back to a plain vote (one vote per parseable chain) and says so in the rule.
#pragma once

#include "aggregators/aggregator.h"

namespace ptc {

inline constexpr double kMinVoteWeight = 1e-6;

struct ConfidenceVoteOptions {
  const char* strategy = "";  // "weighted" or "filtered", for the rule text
  v1::ConfidenceMeasure measure = v1::LOWEST_GROUP;
  uint32_t window_tokens = 2048;  // only for the rule text
  double keep_percent = 100;      // (0, 100]; 100 = no filtering
};

Selection ConfidenceVote(const SelectionInput& input, const ConfidenceVoteOptions& options);

}  // namespace ptc
