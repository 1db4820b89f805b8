#include "aggregators/stop/esc/esc.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<StopRule>> EscRule::Create(
    const v1::StopRule::EarlyStopping& config) {
  const uint32_t window = config.window() == 0 ? 5 : config.window();
  if (window > 1024) return absl::InvalidArgumentError("stop.esc.window: at most 1024");
  return std::make_unique<EscRule>(window);
}

StopCheck EscRule::Check(const Tally&, std::span<const ChainVote> chains) const {
  for (size_t start = 0; start + window_ <= chains.size(); start += window_) {
    bool agree = true;
    for (size_t i = start; i < start + window_ && agree; ++i) {
      agree = chains[i].finished && chains[i].voted && chains[i].answer == chains[start].answer;
    }
    if (agree) return {true, static_cast<double>(start / window_)};
  }
  return {};
}

PTC_REGISTER_STOP_RULE(v1::StopRule::EarlyStopping, &EscRule::Create);

}  // namespace ptc
