#include "aggregators/aggregator.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<Aggregator>> CreateAggregator(const v1::Aggregation& aggregation) {
  return CreateFromOneof<Aggregator>(aggregation, "strategy", v1::MajorityVote(), "aggregation");
}

}  // namespace ptc
