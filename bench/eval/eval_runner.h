// The accuracy-experiment runner: every (question, repeat, N) of a dataset through Solve, with a
// bounded number of calls in flight, over gRPC's callback client API.
//
// Each request asks for one sampling group of n = N chains, multiple choice over the prompt's
// letters, with the correct letter as reference_answer. For (question q, repeat r):
//   seed(q, r) = MixSeed(base_seed, q * 1000 + r)
// shuffles the choices and is the group's chain seed, for every N. Chain i of a group gets seed + i
// (orchestrator.proto), so the chains of a smaller N are a prefix of those of a larger N and the
// N values are compared on paired samples.
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

struct EvalOptions {
  std::vector<uint32_t> ns;  // chains per request; each at least 1
  int repeats = 1;           // shuffles per question
  uint64_t base_seed = 0;
  int max_in_flight = 8;                        // Solve calls outstanding at once
  std::string experiment;                       // SolveRequest.experiment; empty = none
  std::string backend;                          // empty = the server's default
  std::string model;                            // empty = the backend's default
  uint32_t max_tokens = 0;                      // 0 = the server's default
  v1::StopRule stop;                            // unset = fixed N
  v1::LaunchPolicy launch;                      // unset = the stop rule's default
  v1::Aggregation aggregation;                  // unset = majority vote
  uint32_t thinking_budget = 0;                 // SamplingGroup.thinking_budget
  v1::ComputePolicy compute;                    // unset = the group as given
  std::string prompt_template;                  // empty = the default (common/mcq_dataset.h)
  absl::Duration timeout = absl::Seconds(300);  // deadline of each call
  // Called once per N, in the runner's thread, when the last request of that N completes (so N
  // values finish roughly in the order given: requests are issued N by N). Optional.
  std::function<void(uint32_t n, const std::vector<RequestResult>& results)> on_n_done;
};

struct EvalResults {
  // results[i] holds the results of options.ns[i], ordered by question then repeat.
  std::vector<std::vector<RequestResult>> by_n;
  int errors = 0;
  std::string first_error;  // "CODE: message" of the first failed call, by completion order
  absl::Duration wall_time;
};

// The seed of (question, repeat): choice shuffle and chain seed.
uint64_t QuestionSeed(uint64_t base_seed, int question, int repeat);

// The reference answer sent for an instruction item: graded by its constraints, not compared.
inline constexpr char kConstraintsReference[] = "constraints";

// The SolveRequest for one (question, repeat, N). A multiple-choice question is graded against
// the correct letter, a numeric one as a number, an instruction item by its constraints.
v1::SolveRequest BuildRequest(const McqQuestion& question, int question_index, int repeat,
                              uint32_t n, const EvalOptions& options);

// One finished Solve call of RunSolveCalls.
struct CallOutcome {
  size_t index = 0;  // which request
  grpc::Status status;
  v1::SolveResponse response;
  double latency_s = 0;    // client-measured, from the call to its completion
  bool cancelled = false;  // cut short by `cancel`: the outcome says nothing about the question
};

// Issues requests 0..count-1 in order (`make(i)` builds request i), at most `max_in_flight` at
// once, each with `timeout`, over the stub's callback API, and calls `done` in the calling thread
// as each completes; blocks until all have completed. When `*cancel` becomes true (checked at
// least every 100 ms; may be null) it issues no more and cancels the calls in flight, whose
// outcomes then come with cancelled = true. Returns the number of requests issued.
size_t RunSolveCalls(v1::Orchestrator::StubInterface::async_interface& async, size_t count,
                     const std::function<v1::SolveRequest(size_t)>& make, int max_in_flight,
                     absl::Duration timeout, const std::atomic<bool>* cancel,
                     const std::function<void(CallOutcome&)>& done);

// The per-request result of a call (errors as !ok with "CODE: message").
RequestResult ToRequestResult(const CallOutcome& outcome, int question, int repeat, uint32_t n);

// Runs the experiment and blocks until every call has completed. Failed calls are results with
// ok = false (and count as incorrect); the status is an error only for bad options. `stub` must
// outlive the call.
absl::StatusOr<EvalResults> RunEval(v1::Orchestrator::StubInterface& stub,
                                    const std::vector<McqQuestion>& questions,
                                    const EvalOptions& options);

}  // namespace ptc::eval
