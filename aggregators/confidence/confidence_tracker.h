// DeepConf confidence of one chain (Fu et al. 2025), computed while the chain streams.
//
// Token confidence C = -mean of the top-k log-probabilities at a position (-logprob of the
// sampled token when the backend gives no top-k); larger is more confident. (With top-k, a peaked
// distribution pushes the runner-up log-probabilities down, so C rises with certainty. The
// sampled-token fallback is a weaker proxy: for a real model a surprising token also raises it; the
// simulated model's log-probabilities are built so that both agree.) Group confidence =
// mean C over a sliding window of `window_tokens` tokens, one group ending at each token from the
// window's last token on; a chain shorter than the window is one group (its whole length).
//
// Memory is bounded per chain: a ring buffer of at most window_tokens values, and for the
// bottom-10% statistic a fixed histogram of group confidences (C >= 0 as log-probabilities are <=
// 0) (kBins bins of width kBinWidth over [0, kBins * kBinWidth), the last bin also holding
// everything above) keeping each bin's count and sum. The bottom-10% mean adds whole bins from the
// lowest up and takes the boundary bin's mean for the part it needs, so its error is at most one
// bin width (kBinWidth) and exact when the bottom 10% ends on a bin boundary. Everything else is
// exact (up to floating-point summation).
//
// Not thread-safe: one chain's deltas, fed in order by one caller at a time.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ptc/v1/orchestrator.pb.h"
#include "samplers/chain.h"

namespace ptc {

inline constexpr uint32_t kDefaultConfidenceWindow = 2048;
inline constexpr uint32_t kMaxConfidenceWindow = 1 << 16;
// Token confidences above this (a -inf log-probability) count as this.
inline constexpr double kMaxTokenConfidence = 100;

class ConfidenceTracker {
 public:
  static constexpr int kBins = 512;
  static constexpr double kBinWidth = 1.0 / 32;  // so the histogram covers C in [0, 16)

  explicit ConfidenceTracker(uint32_t window_tokens = kDefaultConfidenceWindow);

  // Feeds a delta's tokens. Tokens without log-probabilities (e.g. a closing delta the backend
  // sent without them) are skipped.
  void Add(const ChainDelta& delta);
  // Feeds one token's confidence C.
  void AddToken(double c);

  uint64_t tokens() const { return tokens_; }
  uint32_t window_tokens() const { return window_; }
  // Mean C over the last min(tokens, window_tokens) tokens: the group ending at the latest token.
  // 0 before any token.
  double current_group() const;
  // The lowest group confidence so far over complete windows; nullopt before the first complete
  // window. (DeepConf online cuts a chain once it falls below the threshold; checking this after
  // each delta sees every group, however many tokens a delta carries.)
  std::optional<double> lowest_complete_group() const {
    return groups_ == 0 ? std::nullopt : std::optional<double>(lowest_group_);
  }
  // Every statistic; unset when no token carried log-probabilities.
  std::optional<v1::ChainConfidence> Stats() const;

 private:
  void AddGroup(double g);

  const uint32_t window_;
  std::vector<float> ring_;  // the last window_ token confidences, grows to window_
  size_t head_ = 0;          // next slot to overwrite once the ring is full
  double window_sum_ = 0;
  double total_sum_ = 0;
  uint64_t tokens_ = 0;
  // Over complete groups (tokens_ >= window_).
  double lowest_group_ = 0;
  uint64_t groups_ = 0;
  std::array<uint64_t, kBins> bin_count_{};
  std::array<double, kBins> bin_sum_{};
};

// The value of `measure` (UNSPECIFIED = LOWEST_GROUP) in `c`.
double ConfidenceValue(const v1::ChainConfidence& c, v1::ConfidenceMeasure measure);
// "mean_token", "lowest_group", "bottom_10", "tail".
const char* ConfidenceMeasureName(v1::ConfidenceMeasure measure);

}  // namespace ptc
