// Writes an experiment's per-N statistics: DIR/results.csv for later analysis, and an aligned
// table for people.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/eval/eval_stats.h"

namespace ptc::eval {

// The CSV header; tools downstream depend on it, so change it only with them. The first 14
// columns are the foundation's, in order; backend, model and subsampled (0/1) were appended for
// sweeps.
inline constexpr char kResultsCsvHeader[] =
    "strategy,stop,n,thinking_budget,questions,accuracy,ci_low,ci_high,mean_chains,mean_tokens,"
    "mean_cost_usd,cost_per_correct_usd,p50_latency_s,p95_latency_s,backend,model,subsampled";

// The CSV text: the header, then one row per element of `rows`, in order. Text fields holding a
// comma, quote or line break are quoted (RFC 4180). Numbers are written with up to 6 significant
// digits
// (%.6g, without locale); a value that is not defined (e.g. cost per correct answer with none
// correct) is written "nan".
std::string ResultsCsv(const std::vector<NStats>& rows);

// Creates `dir` (and its parents) if needed and writes `dir`/results.csv.
absl::Status WriteResultsCsv(const std::string& dir, const std::vector<NStats>& rows);

// One line per row: the series columns that vary across rows (strategy, stop, budget, backend,
// model), N, accuracy, 95% CI, mean chains, mean tokens, mean $/question, $/correct,
// p50 and p95 latency; plus an errors column when any N had errors.
std::string FormatTable(const std::vector<NStats>& rows);

}  // namespace ptc::eval
