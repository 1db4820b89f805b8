// Outlier ejection across a backend's endpoints (replicas): an endpoint that does markedly worse
// than its peers over an interval is taken out of rotation for a while, even when it is not bad
// enough to trip its own circuit breaker — a replica failing 30% of requests while the others
// fail none, or one whose time to first byte is several times the others' (a long queue, a sick
// GPU). The breaker judges each endpoint against fixed thresholds; this judges it against the
// others.
//
// Every `interval`, each endpoint with at least `min_requests` outcomes is compared with the
// pooled outcomes of the other such endpoints: its failure rate against theirs (ejected when
// `failure_margin` or more above), and its median time to the first body byte against theirs
// (ejected when more than `latency_factor` times theirs and at least 50 ms slower). An ejection
// lasts `base_ejection` times the number of times the endpoint was ejected recently (at most
// 10×), and never more than `max_ejected_fraction` of the endpoints are out at once (at least one
// stays in). Ejection is a preference: the client still uses an ejected endpoint when every other
// one is unavailable.
//
// Not thread-safe (the client uses it under its lock); time is passed in, so tests need no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptc::http {

struct OutlierOptions {
  bool enabled = true;
  std::chrono::milliseconds interval{10'000};
  uint32_t min_requests = 10;
  double failure_margin = 0.3;
  double latency_factor = 3.0;  // 0 = no latency ejection
  std::chrono::milliseconds base_ejection{30'000};
  double max_ejected_fraction = 0.5;
};

class OutlierDetector {
 public:
  using Clock = std::chrono::steady_clock;

  OutlierDetector(size_t endpoints, OutlierOptions options, Clock::time_point now);

  // The outcome of an exchange on `endpoint`; `first_byte`: its time to the first body byte, when
  // a body byte came.
  void Record(size_t endpoint, bool success, std::optional<Clock::duration> first_byte);
  // Judges the interval that ended, if one did, and says whether `endpoint` is ejected at `now`.
  bool Ejected(size_t endpoint, Clock::time_point now);
  // Why the endpoint was last ejected ("failure rate 0.50 vs 0.00 of the others"), "" if never.
  const std::string& reason(size_t endpoint) const { return endpoints_[endpoint].reason; }

 private:
  static constexpr size_t kMaxSamples = 1024;  // first-byte times kept per endpoint and interval

  struct Endpoint {
    uint32_t ok = 0;
    uint32_t failed = 0;
    std::vector<double> first_byte_ms;
    Clock::time_point ejected_until{};
    uint32_t times_ejected = 0;
    std::string reason;
  };

  void Evaluate(Clock::time_point now);
  // Why `i` is an outlier against the others, or nullopt; `badness` orders the candidates.
  std::optional<std::string> Judge(size_t i, double* badness) const;

  const OutlierOptions options_;
  std::vector<Endpoint> endpoints_;
  Clock::time_point next_evaluation_;
};

}  // namespace ptc::http
