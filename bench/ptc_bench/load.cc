#include "bench/ptc_bench/load.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

namespace ptc::bench {

void Recorder::Done(size_t index, Clock::time_point scheduled, bool ok, std::string_view error) {
  if (ok && index < latency_s_.size()) {
    latency_s_[index] = std::chrono::duration<double>(Clock::now() - scheduled).count();
  }
  if (!ok) {
    if (errors_.fetch_add(1, std::memory_order_relaxed) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      first_error_ = std::string(error);
    }
  }
  completed_.fetch_add(1, std::memory_order_release);
  if (on_done_) on_done_(ok);
}

std::string Recorder::first_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_error_;
}

std::vector<double> Recorder::OkLatencies() const {
  std::vector<double> out;
  out.reserve(latency_s_.size());
  for (double l : latency_s_) {
    if (l >= 0) out.push_back(l);
  }
  return out;
}

LoadResult RunOpenLoop(Target& target, const OpenLoopOptions& options) {
  const size_t count = static_cast<size_t>(std::llround(options.rate * options.duration_s));
  // Send times, fixed before the run.
  std::vector<double> offsets(count);
  std::mt19937_64 rng(options.seed);
  std::exponential_distribution<double> gap(options.rate);
  double t = 0;
  for (size_t i = 0; i < count; ++i) {
    offsets[i] = t;
    t += options.poisson ? gap(rng) : 1.0 / options.rate;
  }
  Recorder rec(count);
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(5);
  for (size_t i = 0; i < count; ++i) {
    const Clock::time_point when = start + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(offsets[i]));
    if (Clock::now() < when) std::this_thread::sleep_until(when);
    target.Start(i, when, rec);
  }
  const Clock::time_point sent = Clock::now();
  LoadResult r;
  r.issued = count;
  r.offered_rate = options.rate;
  const auto drain_deadline = sent + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(options.drain_timeout_s));
  while (rec.completed() < count && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.drained = rec.completed() >= count;
  r.latencies_s = rec.OkLatencies();
  r.ok = r.latencies_s.size();
  r.errors = r.drained ? rec.errors() : rec.errors() + (count - rec.completed());
  r.first_error = r.drained ? rec.first_error() : "calls still running after the drain timeout";
  // Calls/s over the time it took to send and complete them; equals the offered rate when the
  // system keeps up.
  const double span =
      std::max(std::chrono::duration<double>(Clock::now() - start).count(), options.duration_s);
  r.achieved_rate = r.ok / span;
  return r;
}

ClosedLoopResult RunClosedLoop(Target& target, const ClosedLoopOptions& options) {
  constexpr size_t kCapacity = 1 << 20;  // latencies kept (the first calls of the run)
  Recorder rec(kCapacity);
  std::atomic<bool> stopping{false};
  std::atomic<bool> counting{false};
  std::atomic<size_t> next_index{0};
  std::atomic<uint64_t> window_calls{0};
  std::atomic<int64_t> in_flight{0};
  std::function<void()> next;
  next = [&] {
    if (stopping.load(std::memory_order_acquire)) return;
    in_flight.fetch_add(1, std::memory_order_relaxed);
    target.Start(next_index.fetch_add(1, std::memory_order_relaxed), Clock::now(), rec);
  };
  rec.set_on_done([&](bool ok) {
    if (ok && counting.load(std::memory_order_acquire)) window_calls.fetch_add(1);
    next();
    in_flight.fetch_sub(1, std::memory_order_release);
  });
  for (int i = 0; i < options.concurrency; ++i) next();
  const auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  std::this_thread::sleep_for(seconds(options.warmup_s));
  if (options.on_window_start) options.on_window_start();
  const Clock::time_point window_start = Clock::now();
  counting.store(true, std::memory_order_release);
  std::this_thread::sleep_for(seconds(options.duration_s));
  counting.store(false, std::memory_order_release);
  const Clock::time_point window_end = Clock::now();
  if (options.on_window_end) options.on_window_end();
  ClosedLoopResult r;
  r.calls = window_calls.load();
  r.window_s = std::chrono::duration<double>(window_end - window_start).count();
  stopping.store(true, std::memory_order_release);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
  while (in_flight.load(std::memory_order_acquire) > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.errors = rec.errors();
  r.first_error = rec.first_error();
  r.latencies_s = rec.OkLatencies();
  // Calls still running after a minute would call back into this frame: wait for them for good.
  while (in_flight.load(std::memory_order_acquire) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  // Nearest rank.
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

double Median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace ptc::bench
