// `ptc eval`: an accuracy experiment over a multiple-choice dataset for several N, against a
// server, or against an in-process server on the embedded simulated backend when none is given.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::client {

struct EvalArgs {
  std::string dataset;  // JSONL (common/mcq_dataset.h); empty = the bundled sample
  std::vector<uint32_t> ns = {1, 4, 16, 64};
  std::vector<v1::StopRule> stops = {v1::StopRule()};  // one sweep per rule; default fixed N
  v1::LaunchPolicy launch;                             // unset = each rule's default
  std::string out_dir;                                 // where results.csv goes; empty = print only
  std::string server;                                  // HOST:PORT; empty = an in-process server
  int repeats = 1;
  uint64_t seed = 0;
  int concurrency = 8;     // Solve calls in flight
  std::string experiment;  // empty = the dataset's file name without extension
  int limit = 0;           // first Q questions; 0 = all
  std::string backend;
  std::string model;
  uint32_t max_tokens = 0;
  absl::Duration timeout = absl::Seconds(300);  // per call
};

// Runs the experiment: a line per N as it finishes, then the table, on `out`; problems on `err`
// prefixed "ptc eval: ". Returns 0; 1 when the experiment could not run or any call failed (the
// results are still written); 2 for bad arguments.
int RunEvalCommand(const EvalArgs& args, std::ostream& out, std::ostream& err);

}  // namespace ptc::client
