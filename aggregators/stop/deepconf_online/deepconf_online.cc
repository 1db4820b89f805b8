#include "aggregators/stop/deepconf_online/deepconf_online.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/quantile.h"

namespace ptc {
namespace {

absl::Status Bad(const char* field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("stop.deepconf_online.", field, ": ", why));
}

}  // namespace

absl::StatusOr<std::unique_ptr<StopRule>> DeepConfOnlineRule::Create(
    const v1::StopRule::DeepConfOnline& config) {
  const uint32_t warmup = config.warmup() == 0 ? kDefaultWarmup : config.warmup();
  if (warmup > 1024) return Bad("warmup", "at most 1024");
  const double keep = config.keep_percent() == 0 ? kDefaultKeepPercent : config.keep_percent();
  if (!(keep > 0 && keep <= 100)) return Bad("keep_percent", "must be in (0, 100]");
  const double consensus = config.consensus() == 0 ? kDefaultConsensus : config.consensus();
  if (!(consensus > 0.5 && consensus <= 1)) return Bad("consensus", "must be in (0.5, 1]");
  const uint32_t window = config.window_tokens() == 0 ? kDefaultWindow : config.window_tokens();
  if (window > 1 << 16) return Bad("window_tokens", "at most 65536");
  return std::make_unique<DeepConfOnlineRule>(warmup, keep, consensus, window);
}

std::optional<double> DeepConfOnlineRule::CutThreshold(std::span<const ChainVote> chains) const {
  if (chains.size() < warmup_) return std::nullopt;
  std::vector<double> warm;
  for (uint32_t i = 0; i < warmup_; ++i) {
    if (chains[i].voted && chains[i].confidence.has_value()) warm.push_back(*chains[i].confidence);
  }
  // No warm-up chain with confidence: nothing to compare with, so nothing is cut.
  if (warm.empty()) return std::nullopt;
  return Quantile(std::move(warm), (100 - keep_percent_) / 100);
}

StopCheck DeepConfOnlineRule::Check(const Tally&, std::span<const ChainVote> chains) const {
  if (chains.size() < warmup_) return {};
  std::map<std::string, double> weight;
  double total = 0;
  for (const ChainVote& c : chains) {
    if (!c.voted) continue;
    const double w = c.confidence.value_or(1.0);
    weight[c.answer] += w;
    total += w;
  }
  if (total <= 0) return {};
  double best = 0;
  for (const auto& [answer, w] : weight) best = std::max(best, w);
  const double share = best / total;
  return {share >= consensus_, share};
}

PTC_REGISTER_STOP_RULE(v1::StopRule::DeepConfOnline, &DeepConfOnlineRule::Create);

}  // namespace ptc
