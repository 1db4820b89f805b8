// `ptc eval`: an accuracy experiment over a multiple-choice dataset for several N, against a
// server, or against an in-process server on the embedded simulated backend when none is given.
#pragma once

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::client {

struct EvalArgs {
  std::string dataset;               // common/mcq_dataset.h; empty = the bundled sample
  std::string dataset_format;        // "" = by the file; gpqa-csv, mcq-jsonl, numeric-jsonl
  std::string prompt_template_file;  // empty = the simple-evals prompt
  std::vector<uint32_t> ns = {1, 4, 16, 64};
  std::vector<std::string> strategies = {"majority"};  // majority, weighted, filtered
  std::vector<v1::StopRule> stops = {v1::StopRule()};  // one sweep per rule; default fixed N
  std::vector<uint32_t> thinking_budgets = {0};
  std::vector<v1::ComputePolicy> computes = {v1::ComputePolicy()};  // default fixed
  std::vector<std::string> backends = {""};                         // "" = the server's default
  std::vector<std::string> models = {""};                           // "" = the backend's default
  v1::LaunchPolicy launch;                                          // unset = each rule's default
  // Where results.csv, results.json, report.md, the plots and records.jsonl go; empty = print only.
  std::string out_dir;
  bool resume = false;    // continue from out_dir/records.jsonl
  bool subsample = true;  // draw the largest N once where valid (bench/eval/experiment.h)
  std::string scenario;   // "" or "claude37-gpqa": labels the report as simulated
  std::string command;    // the command line, for the report
  int progress = -1;      // progress display: 1 bar, 0 plain lines, -1 bar if stderr is a TTY
  const std::atomic<bool>* cancel = nullptr;  // set by SIGINT: stop cleanly
  std::string server;                         // HOST:PORT; empty = an in-process server
  int repeats = 1;
  uint64_t seed = 0;
  int concurrency = 8;     // Solve calls in flight
  std::string experiment;  // empty = the dataset's file name without extension
  int limit = 0;           // first Q questions; 0 = all
  uint32_t max_tokens = 0;
  absl::Duration timeout = absl::Seconds(300);  // per call
};

// The scenarios `--scenario` names.
inline constexpr char kClaude37GpqaScenario[] = "claude37-gpqa";
inline constexpr char kClaude37GpqaNote[] =
    "SIMULATED: the embedded simulated model, calibrated to Claude 3.7 Sonnet's published GPQA "
    "Diamond single-sample accuracy with extended thinking (78.2%), on the generated GPQA-style "
    "sample. These are not a real model's results.";

// Runs the experiment: the table on `out`, progress and problems on `err` (prefixed
// "ptc eval: "). Returns 0; 1 when the experiment could not run or any call failed (the results
// are still written); 2 for bad arguments; 130 when cancelled (records kept; --resume continues).
int RunEvalCommand(const EvalArgs& args, std::ostream& out, std::ostream& err);

}  // namespace ptc::client
