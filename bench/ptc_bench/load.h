// Load generation for ptc-bench: an open-loop driver (arrivals on a schedule, Poisson or fixed
// interval, latency measured from each call's *scheduled* send time so that a slow system cannot
// hide its queueing: no coordinated omission) and a closed-loop driver (a fixed number of calls
// in flight) for throughput. What a call is (a gRPC Solve, an HTTP request, several in parallel)
// is a Target.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ptc::bench {

using Clock = std::chrono::steady_clock;

// Collects call outcomes; thread-safe.
class Recorder {
 public:
  explicit Recorder(size_t capacity) : latency_s_(capacity, -1.0) {}
  // Called at the end of every Done (from the thread that called Done). Set before any call.
  void set_on_done(std::function<void(bool ok)> f) { on_done_ = std::move(f); }
  // Call `index` finished; its latency runs from `scheduled` to now (kept when index < capacity).
  void Done(size_t index, Clock::time_point scheduled, bool ok, std::string_view error = {});

  uint64_t completed() const { return completed_.load(std::memory_order_acquire); }
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  std::string first_error() const;
  // Latencies of the OK calls, in seconds (unordered).
  std::vector<double> OkLatencies() const;

 private:
  std::vector<double> latency_s_;  // -1: not OK / not done
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> errors_{0};
  mutable std::mutex mu_;
  std::string first_error_;
  std::function<void(bool ok)> on_done_;
};

// Something to call. Start must return at once and have rec.Done(index, scheduled, ...) called
// exactly once, from any thread; it may be called from several threads at once.
class Target {
 public:
  virtual ~Target() = default;
  virtual void Start(size_t index, Clock::time_point scheduled, Recorder& rec) = 0;
  // Chains (or upstream calls) per call, for throughput figures.
  virtual uint32_t chains_per_call() const { return 1; }
};

struct LoadResult {
  uint64_t issued = 0;
  uint64_t ok = 0;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<double> latencies_s;  // OK calls
  double offered_rate = 0;          // calls/s asked for (open loop)
  double achieved_rate = 0;         // OK calls/s over the sending window
  bool drained = true;              // every call completed before the drain timeout
};

struct OpenLoopOptions {
  double rate = 100;      // calls per second
  double duration_s = 5;  // sending window
  bool poisson = true;    // exponential gaps; else a fixed interval
  uint64_t seed = 1;
  double drain_timeout_s = 30;  // after the window, for calls still running
};

// Sends on schedule from the calling thread (sleeping until each send time; when behind, it
// sends at once and the lateness counts in the latency), then waits for the calls to finish.
LoadResult RunOpenLoop(Target& target, const OpenLoopOptions& options);

struct ClosedLoopOptions {
  int concurrency = 64;  // calls in flight
  double warmup_s = 1;   // not counted
  double duration_s = 3;
  // Called at the start and at the end of the counted window (e.g. to read a server's CPU time).
  std::function<void()> on_window_start, on_window_end;
};

struct ClosedLoopResult {
  uint64_t calls = 0;   // OK calls completed inside the window
  uint64_t errors = 0;  // over the whole run
  std::string first_error;
  double window_s = 0;
  std::vector<double> latencies_s;
};

// Keeps `concurrency` calls in flight (each completion starts the next one) for warm-up +
// duration, then lets the calls in flight finish.
ClosedLoopResult RunClosedLoop(Target& target, const ClosedLoopOptions& options);

// Summary statistics.
double Percentile(std::vector<double> values, double q);  // q in [0, 1]; NaN when empty
double Median(std::vector<double> values);

}  // namespace ptc::bench
