// ptc-bench's output: results.json (every figure of every repeat) and results.md (medians over
// the repeats, with ratios against the baselines and the targets of issue 9).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/ptc_bench/measures.h"

namespace ptc::bench {

struct BenchResults {
  std::string started_at;  // UTC
  std::string machine;     // CPU model, cores, memory, kernel
  std::string conditions;  // load averages before and after, build type
  double duration_s = 0;
  std::string settings;  // the command line's settings, for the record
  CapacityResult capacity;
  std::vector<LatencyCell> latency;         // N = 1
  std::vector<LatencyCell> fanout_latency;  // N = 16 (or as set)
  std::vector<ThroughputCell> throughput;
  std::vector<MemoryCell> memory;
};

// The machine this runs on, one line.
std::string DescribeMachine();
// "load average 1.2 0.9 0.8" now.
std::string LoadAverage();

// The "holds" column of an added-latency target from the added latency of each repeat: "yes" or
// "no" when at least four repeats in five are on the median's side of the target, "unclear"
// when they are not, and no verdict when the median is negative (the baseline was slower).
std::string AddedVerdict(const std::vector<double>& added_ms, double target_ms);

std::string ResultsJson(const BenchResults& r);
std::string ResultsMarkdown(const BenchResults& r);
absl::Status WriteResults(const BenchResults& r, const std::string& out_dir);

}  // namespace ptc::bench
