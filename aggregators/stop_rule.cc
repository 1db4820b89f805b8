#include "aggregators/stop_rule.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<StopRule>> CreateStopRule(const v1::StopRule& stop) {
  return CreateFromOneof<StopRule>(stop, "rule", v1::StopRule::FixedN(), "stop");
}

}  // namespace ptc
