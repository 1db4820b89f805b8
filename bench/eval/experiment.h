// A sweep: every (series, N) cell of an experiment over a dataset, where a series is one strategy
// x stop rule x thinking budget x backend x model. Results are summarised per cell from the
// records (records.h), so a resumed run computes its table from exactly the calls an
// uninterrupted run would have made.
//
// Subsampling: where it is statistically valid (fixed stop rule, majority vote, multiple choice,
// so every chain is independent and the selection needs only the chains' answers), a series draws
// only its largest N once per (question, repeat) and evaluates each smaller N on the plan-order
// prefix of those chains, re-selecting client-side by the server's majority rule
// (aggregators/tally.h: most votes, ties to the earliest chain). The chains of a prefix are exactly
// the chains a direct run at that N would draw (chain i gets seed + i), so accuracy, chains, tokens
// and cost equal a direct run's; latency is an estimate. Confidence-weighted and filtered votes,
// and early-stopping rules, run every N for real.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/eval/eval_stats.h"
#include "common/mcq_dataset.h"
#include "ptc/v1/orchestrator.grpc.pb.h"

namespace ptc::eval {

struct Series {
  // majority | weighted[:W] | filtered[:W] | verifier[:AUC] | learned[:MODEL]
  std::string strategy = "majority";
  v1::Aggregation aggregation;  // matches `strategy`
  std::string stop = "fixed";   // the StopRule oneof field's name
  v1::StopRule stop_rule;
  uint32_t thinking_budget = 0;
  // The compute policy (SolveRequest.compute); unset = fixed. A series with one names it in
  // `stop` ("auto probe=4 then fixed", see ComputeName), so keys and tables tell them apart.
  v1::ComputePolicy compute;
  std::string backend;  // empty = the server's default
  std::string model;    // empty = the backend's default
  // "strategy|stop|budget|backend|model", the series' key in records.
  std::string Key() const;
  // Whether smaller N may be evaluated on prefixes of the largest N's chains (see above).
  bool Subsamplable() const;
};

// The verifier model `verifier:AUC` asks for ("sim-verifier:auc=AUC"): the simulated model reads
// the AUC out of the model name (samplers/sim/sim_model.h); another backend takes it as a model.
inline constexpr char kSimVerifierModel[] = "sim-verifier";

// The scorer model `learned` asks for: the one bench/data/scorers ships for the simulated
// GPQA-style scenario.
inline constexpr char kDefaultScorerModel[] = "sim-gpqa";
// The largest confidence window a strategy name may give (aggregators/confidence).
inline constexpr uint32_t kMaxWindowTokens = 1 << 16;

// Maps a strategy name to its Aggregation: majority, weighted, filtered, verifier (default
// parameters; the verifier on the server's default backend and model), weighted:W and
// filtered:W (a confidence group window of W tokens, e.g. weighted:64 for the simulated model's
// ~600-token chains), verifier:AUC (a simulated verifier of that AUC in (0, 1) on the server's
// default backend, e.g. verifier:0.8), learned (the scorer kDefaultScorerModel) or learned:MODEL
// (a scorer model in the server's scorer directory).
absl::StatusOr<v1::Aggregation> AggregationByName(const std::string& name);
// The StopRule oneof field's name ("fixed" when unset), followed by the rule's settings that are
// not defaults ("esc window=8", "deepconf_online warmup=8 window_tokens=256").
std::string StopName(const v1::StopRule& stop);
// A compute policy by name: "fixed" (unset) or "auto" with optional settings after a colon,
// comma-separated: "auto:probe=3,settled=0.75,escalate=2048,policy=NAME,budget=4096" (probe,
// settled_agreement, escalate_thinking_budget, thinking_model, thinking_budget).
absl::StatusOr<v1::ComputePolicy> ComputeByName(const std::string& name);
// "fixed", or "auto" followed by the settings that are not defaults ("auto probe=3").
std::string ComputeName(const v1::ComputePolicy& compute);

struct Progress {
  size_t done = 0;   // calls finished, including those resumed from records
  size_t total = 0;  // calls the experiment makes
  size_t resumed = 0;
  int correct = 0;  // among the finished calls, each at its own N
  int errors = 0;
  double cost_usd = 0;  // spent by the calls of this process
  absl::Duration elapsed;
};

struct ExperimentOptions {
  std::vector<Series> series;
  std::vector<uint32_t> ns;  // distinct, each at least 1
  int repeats = 1;
  uint64_t base_seed = 0;
  int max_in_flight = 8;
  std::string experiment;
  uint32_t max_tokens = 0;
  v1::LaunchPolicy launch;
  absl::Duration timeout = absl::Seconds(300);
  std::string prompt_template;  // empty = the default
  bool subsample = true;        // allow subsampling where valid
  std::string records_path;     // empty = keep records in memory only
  // Continue from records_path's records. Without it an existing non-empty records file is an
  // error, so that two runs are never mixed by accident.
  bool resume = false;
  const std::atomic<bool>* cancel = nullptr;  // when it becomes true: stop cleanly (may be null)
  std::function<void(const Progress&)> on_progress;  // after each call, in the calling thread
};

// One cell's statistics, with what it was.
struct CellStats {
  Series series;
  bool subsampled = false;  // evaluated on prefixes of the largest N's chains
  NStats stats;
};

struct ExperimentResults {
  std::vector<CellStats> cells;  // series in order, then N in the order given
  size_t calls_made = 0;         // by this process
  size_t calls_resumed = 0;      // taken from the records file
  int errors = 0;
  std::string first_error;
  bool cancelled = false;  // stopped by `cancel`: the cells cover the finished calls only
  absl::Duration wall_time;
};

// Runs (or resumes) the experiment and blocks until it is done or cancelled. Errors only for bad
// options, an unreadable or foreign records file, or a failed write.
absl::StatusOr<ExperimentResults> RunExperiment(v1::Orchestrator::StubInterface& stub,
                                                const std::vector<McqQuestion>& questions,
                                                const ExperimentOptions& options);

}  // namespace ptc::eval
