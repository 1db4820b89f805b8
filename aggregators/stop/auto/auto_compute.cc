#include "aggregators/stop/auto/auto_compute.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"

namespace ptc {

double Agreement(std::span<const ChainVote> chains) {
  absl::flat_hash_map<std::string_view, uint32_t> votes;
  uint32_t voted = 0, leader = 0;
  for (const ChainVote& c : chains) {
    if (!c.voted) continue;
    ++voted;
    leader = std::max(leader, ++votes[c.answer]);
  }
  return voted == 0 ? 0 : static_cast<double>(leader) / voted;
}

uint32_t AutoComputeRule::default_wave_size() const {
  const uint32_t inner = inner_->default_wave_size();
  return inner > 0 ? inner : std::numeric_limits<uint32_t>::max();
}

StopCheck AutoComputeRule::Check(const Tally& tally, std::span<const ChainVote> chains) const {
  if (chains.size() < probe_) return {};
  if (!probe_agreement_) probe_agreement_ = Agreement(chains.first(probe_));
  if (*probe_agreement_ >= settled_) return {true, *probe_agreement_};
  return inner_->Check(tally, chains);
}

}  // namespace ptc
