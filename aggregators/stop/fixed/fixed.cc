// Fixed N: never stops early; every planned chain runs.
#include "aggregators/stop_rule.h"

namespace ptc {
namespace {

class FixedRule : public StopRule {
 public:
  static absl::StatusOr<std::unique_ptr<StopRule>> Create(const v1::StopRule::FixedN&) {
    return std::make_unique<FixedRule>();
  }
  std::string name() const override { return "fixed"; }
  uint32_t default_wave_size() const override { return 0; }
  StopCheck Check(const Tally&, std::span<const ChainVote>) const override { return {}; }
};

PTC_REGISTER_STOP_RULE(v1::StopRule::FixedN, &FixedRule::Create);

}  // namespace
}  // namespace ptc
