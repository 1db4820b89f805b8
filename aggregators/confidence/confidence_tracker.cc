#include "aggregators/confidence/confidence_tracker.h"

#include <algorithm>
#include <cmath>

namespace ptc {

ConfidenceTracker::ConfidenceTracker(uint32_t window_tokens)
    : window_(std::clamp<uint32_t>(window_tokens, 1, kMaxConfidenceWindow)) {}

void ConfidenceTracker::Add(const ChainDelta& d) {
  const size_t k = d.top_k;
  if (k > 0 && d.top_logprobs.size() >= d.tokens * k) {
    for (uint32_t t = 0; t < d.tokens; ++t) {
      double sum = 0;
      for (size_t j = 0; j < k; ++j) sum += d.top_logprobs[t * k + j];
      AddToken(-sum / static_cast<double>(k));
    }
    return;
  }
  if (d.logprobs.size() >= d.tokens) {
    for (uint32_t t = 0; t < d.tokens; ++t) AddToken(-static_cast<double>(d.logprobs[t]));
  }
}

void ConfidenceTracker::AddToken(double c) {
  // Log-probabilities of -inf (or the -9999 some APIs send) would swamp every mean: cap C.
  if (std::isnan(c)) c = 0;
  c = std::min(c, kMaxTokenConfidence);
  const float f = static_cast<float>(c);
  total_sum_ += f;
  ++tokens_;
  if (ring_.size() < window_) {
    ring_.push_back(f);
    window_sum_ += f;
  } else {
    window_sum_ += static_cast<double>(f) - ring_[head_];
    ring_[head_] = f;
    head_ = (head_ + 1) % window_;
  }
  if (tokens_ >= window_) AddGroup(window_sum_ / window_);
}

void ConfidenceTracker::AddGroup(double g) {
  lowest_group_ = groups_ == 0 ? g : std::min(lowest_group_, g);
  ++groups_;
  const int bin = std::clamp(static_cast<int>(std::floor(g / kBinWidth)), 0, kBins - 1);
  ++bin_count_[bin];
  bin_sum_[bin] += g;
}

double ConfidenceTracker::current_group() const {
  return ring_.empty() ? 0 : window_sum_ / static_cast<double>(ring_.size());
}

std::optional<v1::ChainConfidence> ConfidenceTracker::Stats() const {
  if (tokens_ == 0) return std::nullopt;
  v1::ChainConfidence c;
  c.set_tokens(tokens_);
  c.set_window_tokens(window_);
  const double mean = total_sum_ / static_cast<double>(tokens_);
  c.set_mean_token(mean);
  c.set_tail(current_group());
  if (groups_ == 0) {  // shorter than a window: the whole chain is the one group
    c.set_lowest_group(mean);
    c.set_bottom_10(mean);
    return c;
  }
  c.set_lowest_group(lowest_group_);
  const uint64_t want = std::max<uint64_t>(1, (groups_ + 9) / 10);  // ceil(10%), at least one
  uint64_t taken = 0;
  double sum = 0;
  for (int b = 0; b < kBins && taken < want; ++b) {
    if (bin_count_[b] == 0) continue;
    const uint64_t use = std::min(bin_count_[b], want - taken);
    sum += use == bin_count_[b] ? bin_sum_[b] : bin_sum_[b] / bin_count_[b] * use;
    taken += use;
  }
  c.set_bottom_10(sum / static_cast<double>(taken));
  return c;
}

double ConfidenceValue(const v1::ChainConfidence& c, v1::ConfidenceMeasure measure) {
  switch (measure) {
    case v1::MEAN_TOKEN:
      return c.mean_token();
    case v1::BOTTOM_10:
      return c.bottom_10();
    case v1::TAIL:
      return c.tail();
    case v1::LOWEST_GROUP:
    default:
      return c.lowest_group();
  }
}

const char* ConfidenceMeasureName(v1::ConfidenceMeasure measure) {
  switch (measure) {
    case v1::MEAN_TOKEN:
      return "mean_token";
    case v1::BOTTOM_10:
      return "bottom_10";
    case v1::TAIL:
      return "tail";
    case v1::LOWEST_GROUP:
    default:
      return "lowest_group";
  }
}

}  // namespace ptc
