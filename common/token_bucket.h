// A token bucket: `rate` tokens per second, holding at most `burst`. Not thread-safe (its owner
// locks). Time is passed in, so tests drive it with a fake clock; time going backwards adds
// nothing.
#pragma once

#include <algorithm>

#include "absl/time/time.h"

namespace ptc {

class TokenBucket {
 public:
  // rate <= 0: unlimited (TryTake always succeeds). Starts full.
  TokenBucket(double rate, double burst, absl::Time now)
      : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_), last_(now) {}

  // Takes one token if there is one.
  bool TryTake(absl::Time now) {
    if (rate_ <= 0) return true;
    Refill(now);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  // How long until a token is available (zero when one is).
  absl::Duration TimeToNext(absl::Time now) {
    if (rate_ <= 0) return absl::ZeroDuration();
    Refill(now);
    if (tokens_ >= 1) return absl::ZeroDuration();
    return absl::Seconds((1 - tokens_) / rate_);
  }

 private:
  void Refill(absl::Time now) {
    if (now <= last_) return;
    tokens_ = std::min(burst_, tokens_ + rate_ * absl::ToDoubleSeconds(now - last_));
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
};

}  // namespace ptc
