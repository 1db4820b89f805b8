#include "aggregators/aggregator.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<Aggregator>> CreateAggregator(const v1::Aggregation& aggregation) {
  const google::protobuf::Reflection* refl = aggregation.GetReflection();
  const google::protobuf::OneofDescriptor* oneof =
      v1::Aggregation::descriptor()->FindOneofByName("strategy");
  const google::protobuf::FieldDescriptor* field =
      refl->GetOneofFieldDescriptor(aggregation, oneof);
  v1::MajorityVote default_strategy;
  const google::protobuf::Message& config =
      field ? refl->GetMessage(aggregation, field) : default_strategy;
  auto factory = AggregatorRegistry::Global().Find(config.GetDescriptor()->full_name());
  if (!factory.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("aggregation: ", factory.status().message()));
  }
  return (*factory)(config);
}

}  // namespace ptc
