// `ptc solve`: one Solve call, printed for people (or as JSON).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::client {

struct SolveArgs {
  std::string server = "127.0.0.1:50051";
  std::string prompt;
  uint32_t n = 1;
  std::string backend;  // empty = the server's default
  std::string model;    // empty = the backend's default
  std::optional<float> temperature;
  std::optional<uint64_t> seed;
  std::string format = "mc";  // mc | number | text
  std::string letters;        // mc only; empty = "ABCD"
  std::string reference;      // empty = not graded
  uint32_t max_tokens = 0;    // 0 = the server's default
  bool json = false;
  absl::Duration timeout = absl::Seconds(300);
};

// The request `ptc solve` sends; INVALID_ARGUMENT naming the option for bad arguments.
absl::StatusOr<v1::SolveRequest> BuildSolveRequest(const SolveArgs& args);

// The human-readable report: answer and confidence, votes per candidate, correctness (when a
// reference was given), chains by outcome, tokens by kind, cost and duration.
std::string FormatSolveResponse(const v1::SolveResponse& response);

// The response in protobuf's JSON mapping (lowerCamel field names), on one line.
std::string SolveResponseJson(const v1::SolveResponse& response);

// Runs the command: the report (or JSON) on `out`, errors on `err` as
// "ptc solve: INVALID_ARGUMENT: <message>". Returns the exit code: 0, 1 for a failed call, 2 for
// bad arguments.
int RunSolveCommand(const SolveArgs& args, std::ostream& out, std::ostream& err);

}  // namespace ptc::client
