#include "aggregators/filtered/filtered.h"

#include "aggregators/confidence/confidence_vote.h"
#include "aggregators/weighted/weighted.h"
#include "common/status_macros.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<Aggregator>> FilteredAggregator::Create(
    const v1::FilteredVote& config) {
  RETURN_IF_ERROR(ValidateMeasure(config.measure(), "aggregation.filtered.measure"));
  ASSIGN_OR_RETURN(
      uint32_t window,
      ConfidenceWindowFromConfig(config.window_tokens(), "aggregation.filtered.window_tokens"));
  double keep = config.keep_percent();
  if (keep == 0) keep = kDefaultKeepPercent;
  if (!(keep > 0 && keep <= 100)) {  // also rejects NaN
    return absl::InvalidArgumentError(
        "aggregation.filtered.keep_percent: must be in (0, 100] (0 = default 90)");
  }
  return std::make_unique<FilteredAggregator>(config.measure(), window, keep);
}

Selection FilteredAggregator::Select(const SelectionInput& input) const {
  return ConfidenceVote(input, {.strategy = "filtered",
                                .measure = measure_,
                                .window_tokens = window_,
                                .keep_percent = keep_percent_});
}

PTC_REGISTER_AGGREGATOR(v1::FilteredVote, &FilteredAggregator::Create);

}  // namespace ptc
