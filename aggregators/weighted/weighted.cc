#include "aggregators/weighted/weighted.h"

#include "absl/strings/str_cat.h"
#include "aggregators/confidence/confidence_tracker.h"
#include "aggregators/confidence/confidence_vote.h"
#include "common/status_macros.h"

namespace ptc {

absl::StatusOr<uint32_t> ConfidenceWindowFromConfig(uint32_t window_tokens, const char* field) {
  if (window_tokens == 0) return kDefaultConfidenceWindow;
  if (window_tokens > kMaxConfidenceWindow) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be at most ", kMaxConfidenceWindow, " (0 = default 2048)"));
  }
  return window_tokens;
}

absl::Status ValidateMeasure(v1::ConfidenceMeasure measure, const char* field) {
  if (!v1::ConfidenceMeasure_IsValid(measure)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unknown measure ", measure));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Aggregator>> WeightedAggregator::Create(
    const v1::WeightedVote& config) {
  RETURN_IF_ERROR(ValidateMeasure(config.measure(), "aggregation.weighted.measure"));
  ASSIGN_OR_RETURN(
      uint32_t window,
      ConfidenceWindowFromConfig(config.window_tokens(), "aggregation.weighted.window_tokens"));
  return std::make_unique<WeightedAggregator>(config.measure(), window);
}

Selection WeightedAggregator::Select(const SelectionInput& input) const {
  return ConfidenceVote(input,
                        {.strategy = "weighted", .measure = measure_, .window_tokens = window_});
}

PTC_REGISTER_AGGREGATOR(v1::WeightedVote, &WeightedAggregator::Create);

}  // namespace ptc
