// Per-N statistics of an accuracy experiment: accuracy with a bootstrap confidence interval,
// spend per question and per correct answer, and latency percentiles.
//
// Conventions (the CSV and the table both follow them):
//  - Accuracy counts every request: an RPC error is an incorrect answer.
//  - The unit of resampling is the question: with R repeats a question scores the mean of its R
//    outcomes, and the bootstrap draws questions with replacement (a cluster bootstrap), so
//    repeats do not narrow the interval as if they were new questions.
//  - Chains, tokens, cost and latency are averaged over the requests that returned a response
//    (an errored request reports none of them).
//  - cost_per_correct_usd is the total cost over the number of correct answers; NaN when there is
//    no correct answer (written "nan").
//  - Percentiles are common/quantile.h's (numpy's default, Hyndman-Fan type 7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptc::eval {

// The outcome of one Solve call of an experiment.
struct RequestResult {
  int question = 0;  // index into the dataset
  int repeat = 0;
  uint32_t n = 0;   // chains asked for
  bool ok = false;  // the RPC succeeded
  bool correct = false;
  uint32_t chains = 0;  // ledger.chains_launched
  uint64_t tokens = 0;  // prompt + completion + reasoning
  double cost_usd = 0;
  double latency_s = 0;  // client-measured, from the call to its completion
  std::string error;     // "CODE: message" when !ok
};

struct Interval {
  double low = 0;
  double high = 0;
};

inline constexpr int kBootstrapResamples = 2000;
inline constexpr uint64_t kBootstrapSeed = 20250224;

// Percentile-bootstrap interval of the mean of `values` at the given level. Deterministic for a
// seed. One value, or all values equal, gives a zero-width interval; empty gives NaN bounds.
Interval BootstrapMeanCi(const std::vector<double>& values, double level = 0.95,
                         int resamples = kBootstrapResamples, uint64_t seed = kBootstrapSeed);

// One row of the results: everything measured for one N.
struct NStats {
  std::string strategy = "majority";  // the aggregation (results.csv's strategy column)
  std::string stop = "fixed";         // the stop rule's name (results.csv's stop column)
  uint32_t thinking_budget = 0;
  std::string backend;      // empty = the server's default
  std::string model;        // empty = the backend's default
  bool subsampled = false;  // evaluated on prefixes of a larger N's chains (experiment.h)
  uint32_t n = 0;
  int questions = 0;  // distinct questions
  int requests = 0;   // questions x repeats
  int correct = 0;
  int errors = 0;
  std::string first_error;
  double accuracy = 0;
  Interval ci;
  double mean_chains = 0;
  double mean_tokens = 0;
  double mean_cost_usd = 0;
  double cost_per_correct_usd = 0;  // NaN with no correct answer
  double p50_latency_s = 0;         // NaN with no successful request
  double p95_latency_s = 0;
};

// Summarises the results of one N (every element must have that n).
NStats Summarize(uint32_t n, const std::vector<RequestResult>& results);

}  // namespace ptc::eval
