#include "aggregators/stop_rule.h"

#include "absl/strings/str_cat.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<StopRule>> CreateStopRule(const v1::StopRule& stop) {
  const google::protobuf::Reflection* refl = stop.GetReflection();
  const google::protobuf::FieldDescriptor* field =
      refl->GetOneofFieldDescriptor(stop, v1::StopRule::descriptor()->FindOneofByName("rule"));
  v1::StopRule::FixedN fixed;
  const google::protobuf::Message& config = field ? refl->GetMessage(stop, field) : fixed;
  auto factory = StopRuleRegistry::Global().Find(config.GetDescriptor()->full_name());
  if (!factory.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("stop: ", factory.status().message()));
  }
  return (*factory)(config);
}

}  // namespace ptc
