// The measures of ptc-bench, each taken against a baseline in the same run and repeated:
//   latency     added latency (p50, p99) of a subject over direct calls to the fake backend,
//               open loop at given rates; with N > 1 the baseline is the slowest of N parallel
//               direct calls;
//   throughput  chains per second per CPU-second of the subject's process, closed loop, against
//               a zero-latency backend;
//   memory      resident memory per in-flight streaming chain, with slow chains held open;
//   capacity    the fake backend's own rate, to show it is not the bottleneck, and the CPU that
//               ptc's HTTP client alone (ptc-bench's direct calls) spends per call: the floor
//               under a chain's CPU in ptc-server, which makes the same exchange and more.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/ptc_bench/bench_env.h"
#include "boost/asio/io_context.hpp"

namespace ptc::bench {

// Runs on a VM are slowed from outside when the hypervisor gives its cores to other guests
// ("steal" in /proc/stat): a run whose share of stolen CPU time is over max_share is made again,
// up to `tries` runs in all, and the least-stolen one is kept (the others are counted as reruns).
struct StealPolicy {
  double max_share = 0.05;
  int tries = 3;
};
// Calls attempt(0), attempt(1), ... (each returns the steal share of its run) until one is at
// most policy.max_share or policy.tries were made; returns the index of the least-stolen one
// (NaN counts as unknown: no more tries, and the attempt is kept when no other is known). Each
// try after the first is logged under `what` and counted in *reruns.
int LeastStolenAttempt(const StealPolicy& policy, const std::string& what, int* reruns,
                       const std::function<double(int)>& attempt);

struct LatencyCell {
  std::string subject;
  std::string baseline;  // empty for a baseline
  double rate = 0;
  uint32_t n = 1;
  // Per repeat, milliseconds.
  std::vector<double> p50_ms, p99_ms;
  std::vector<double> added_p50_ms, added_p99_ms;  // minus the baseline's in the same repeat
  // Per repeat: the share of the machine's CPU time the hypervisor gave to other guests during
  // the run (/proc/stat steal); a slowed repeat with a high share was slowed from outside.
  std::vector<double> steal;
  int reruns = 0;  // runs made again for their CPU steal (see StealPolicy)
  uint64_t ok = 0, errors = 0;
  std::string first_error;
  double worst_achieved = 1;  // lowest achieved / offered rate over the repeats
};

struct LatencyOptions {
  std::vector<double> rates;
  uint32_t n = 1;
  int repeats = 5;
  double duration_scale = 1;  // 1 = max(2 s, min(6 s, 3000 / rate)) per run
  double warmup_s = 0.5;
  double peer_max_rate = 1000;  // peers (not direct, not ptc) only up to this rate
  StealPolicy steal;
};

// Each subject is measured against the subject its `baseline` names (itself: a baseline). A
// fresh target (connections) per run: servers close idle keep-alive connections (Node after 5 s),
// which a reused pool would meet as failures.
std::vector<LatencyCell> MeasureLatency(const std::vector<Subject>& subjects, const Workload& w,
                                        const LatencyOptions& options, boost::asio::io_context& io,
                                        const std::string& fake_url);

struct ThroughputCell {
  std::string subject;
  uint32_t n = 1;
  int concurrency = 0;
  std::vector<double> chains_per_cpu_s;       // per repeat: chains / subject CPU-seconds
  std::vector<double> chains_per_s;           // per repeat: wall-clock rate
  std::vector<double> cpu_cores;              // subject CPU-seconds per second
  std::vector<double> fake_chains_per_cpu_s;  // the fake backend's in the same window
  std::vector<double> steal;                  // the machine's CPU steal share in the window
  int reruns = 0;                             // windows made again for their CPU steal
  uint64_t errors = 0;
  std::string first_error;
};

struct ThroughputOptions {
  std::vector<uint32_t> ns;
  int repeats = 3;
  int chains_in_flight = 512;  // concurrency = max(2, this / N) calls
  double warmup_s = 1;
  double duration_s = 3;
  StealPolicy steal;
};

std::vector<ThroughputCell> MeasureThroughput(const std::vector<Subject>& subjects,
                                              const Workload& w, const ThroughputOptions& options,
                                              boost::asio::io_context& io,
                                              const std::string& fake_url, ChildProcess* fake);

struct MemoryCell {
  std::string subject;
  uint32_t chains = 0;                // in flight at this level
  std::vector<double> kib_per_chain;  // per repeat: (RSS - idle RSS) / chains
  std::vector<double> rss_mib;        // per repeat
  std::vector<double> idle_rss_mib;   // per repeat
  uint64_t errors = 0;                // calls that failed before the cancel
  std::string first_error;
};

struct MemoryOptions {
  std::vector<uint32_t> levels;  // chains in flight, ascending
  uint32_t n = 16;               // chains per call
  int repeats = 3;
  std::string slow_model = "fake:ttft_ms=20:gap_ms=1000:tokens=600";
};

// A fresh subject process per repeat (memory does not go back once used): `start` starts one
// and fills `subject` (its process owned by the returned pointer).
using SubjectFactory =
    std::function<absl::StatusOr<std::unique_ptr<ChildProcess>>(int repeat, Subject* subject)>;
std::vector<MemoryCell> MeasureMemory(const std::string& name, const SubjectFactory& start,
                                      const MemoryOptions& options, boost::asio::io_context& io,
                                      const std::string& fake_url, const std::string& fake_address);

struct CapacityResult {
  double calls_per_s = 0;             // closed loop, direct, 64 in flight
  double calls_per_cpu_s = 0;         // per fake-backend CPU-second
  double client_calls_per_cpu_s = 0;  // per ptc-bench CPU-second (ptc's HTTP client, one thread)
  double steal = NAN;                 // the machine's CPU steal share in the window kept
  int reruns = 0;                     // windows made again for their CPU steal
  uint64_t errors = 0;                // over every window
};
CapacityResult MeasureFakeCapacity(boost::asio::io_context& io, const std::string& fake_url,
                                   ChildProcess* fake, const Workload& w, double duration_s,
                                   const StealPolicy& steal);

}  // namespace ptc::bench
