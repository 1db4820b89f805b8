#include "samplers/http/outlier_detector.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "common/quantile.h"

namespace ptc::http {

OutlierDetector::OutlierDetector(size_t endpoints, OutlierOptions options, Clock::time_point now)
    : options_(options), endpoints_(endpoints), next_evaluation_(now + options.interval) {}

void OutlierDetector::Record(size_t endpoint, bool success,
                             std::optional<Clock::duration> first_byte) {
  if (!options_.enabled) return;
  Endpoint& e = endpoints_[endpoint];
  (success ? e.ok : e.failed)++;
  if (first_byte && e.first_byte_ms.size() < kMaxSamples) {
    e.first_byte_ms.push_back(std::chrono::duration<double, std::milli>(*first_byte).count());
  }
}

bool OutlierDetector::Ejected(size_t endpoint, Clock::time_point now) {
  if (!options_.enabled) return false;
  Evaluate(now);
  return now < endpoints_[endpoint].ejected_until;
}

std::optional<std::string> OutlierDetector::Judge(size_t i, double* badness) const {
  const Endpoint& e = endpoints_[i];
  const uint32_t n = e.ok + e.failed;
  if (n < options_.min_requests) return std::nullopt;
  uint32_t others_ok = 0, others_failed = 0;
  std::vector<double> others_first_byte;
  for (size_t j = 0; j < endpoints_.size(); ++j) {
    const Endpoint& o = endpoints_[j];
    if (j == i || o.ok + o.failed < options_.min_requests) continue;
    others_ok += o.ok;
    others_failed += o.failed;
    others_first_byte.insert(others_first_byte.end(), o.first_byte_ms.begin(),
                             o.first_byte_ms.end());
  }
  if (others_ok + others_failed == 0) return std::nullopt;  // nobody to compare with
  const double rate = static_cast<double>(e.failed) / n;
  const double others_rate = static_cast<double>(others_failed) / (others_ok + others_failed);
  if (rate - others_rate >= options_.failure_margin) {
    *badness = 1 + rate - others_rate;  // failures rank above slowness
    return absl::StrFormat("failure rate %.2f vs %.2f of the others", rate, others_rate);
  }
  if (options_.latency_factor > 0 && e.first_byte_ms.size() * 2 >= options_.min_requests &&
      others_first_byte.size() * 2 >= options_.min_requests) {
    const double mine = Quantile(e.first_byte_ms, 0.5);
    const double theirs = Quantile(std::move(others_first_byte), 0.5);
    if (mine > options_.latency_factor * theirs && mine - theirs >= 50) {
      *badness = std::min(1.0, mine / (mine + theirs));
      return absl::StrFormat("median time to first byte %.0f ms vs %.0f ms of the others", mine,
                             theirs);
    }
  }
  return std::nullopt;
}

void OutlierDetector::Evaluate(Clock::time_point now) {
  if (now < next_evaluation_) return;
  next_evaluation_ = now + options_.interval;
  struct Candidate {
    size_t endpoint;
    double badness;
    std::string reason;
  };
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    double badness = 0;
    if (std::optional<std::string> why = Judge(i, &badness)) {
      candidates.push_back({i, badness, *std::move(why)});
    } else if (now >= endpoints_[i].ejected_until && endpoints_[i].times_ejected > 0 &&
               endpoints_[i].ok + endpoints_[i].failed >= options_.min_requests) {
      --endpoints_[i].times_ejected;  // a clean interval in service: forgive one ejection
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.badness > b.badness; });
  const size_t max_out =
      std::min(endpoints_.size() - 1,
               static_cast<size_t>(std::floor(options_.max_ejected_fraction * endpoints_.size())));
  size_t out = std::count_if(endpoints_.begin(), endpoints_.end(),
                             [&](const Endpoint& e) { return now < e.ejected_until; });
  for (Candidate& c : candidates) {
    Endpoint& e = endpoints_[c.endpoint];
    if (now < e.ejected_until) continue;  // already out
    if (out >= max_out) break;
    e.times_ejected = std::min<uint32_t>(e.times_ejected + 1, 10);
    e.ejected_until = now + options_.base_ejection * e.times_ejected;
    e.reason = std::move(c.reason);
    ++out;
  }
  for (Endpoint& e : endpoints_) {
    e.ok = e.failed = 0;
    e.first_byte_ms.clear();
  }
}

}  // namespace ptc::http
