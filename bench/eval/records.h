// DIR/records.jsonl: one JSON object per finished Solve call of an experiment, appended and
// flushed as each call completes, so that a crashed or interrupted run loses nothing it finished
// and `--resume` redoes nothing. The per-chain fields are the features and labels a learned
// scorer trains on.
//
//   {"series": "majority|fixed|0|sim|", "strategy": "majority", "stop": "fixed",
//    "thinking_budget": 0, "backend": "sim", "model": "", "n": 64, "question": 3,
//    "id": "gen-phys-001", "repeat": 0, "seed": 123, "reference": "B", "ok": true, "error": "",
//    "correct": true, "answer": "B", "latency_s": 0.21, "duration_s": 0.2, "chains_launched": 64,
//    "tokens": 46000, "cost_usd": 0.6,
//    "chains": [{"index": 0, "status": "ok", "parseable": true, "answer": "B", "correct": true,
//                "finish_reason": "stop", "prompt_tokens": 120, "completion_tokens": 600,
//                "reasoning_tokens": 0, "cost_usd": 0.01, "started_at_s": 0.0, "duration_s": 0.1,
//                "time_to_first_token_s": 0.01, "seed": 123, "group": 0, "backend": "sim",
//                "model": "sim-reasoner", "mean_token_confidence": 0.4,
//                "confidence": {"tokens": 610, "window_tokens": 64, "mean_token": 2.0,
//                               "lowest_group": 1.1, "bottom_10": 1.3, "tail": 2.0}}, ...],
//    "verification": [{"answer": "B", "score": 0.81}, {"answer": "C"}],
//    "prompt_features": [6.1, 5.0, 4, 0, 1, 0.0, 1, 1, 0.0],
//    "compute": {"thinking": true, "thinking_probability": 0.8, "probe_agreement": 0.75,
//                "settled": false}}
//
// mean_token_confidence is present only when the backend returned log-probabilities, and
// "confidence" (the chain's ChainConfidence) only when the strategy asked for them too;
// "cut_low_confidence": true only for a chain a confidence stop rule cut. "verification" (one
// entry per verifier call, "score" only when the call gave one) only for a strategy that grades
// candidates. ToChainRecord rebuilds a ChainRecord from a chain's fields, so `ptc train-scorer`
// computes a learned scorer's features from records exactly as the server does from a response.
// "compute" only for a series with an auto compute policy ("thinking_probability" only when a
// thinking policy decided). Records written before group, backend, model, confidence and the
// prompt features were recorded still load.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/eval/eval_stats.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::eval {

struct ChainFeatures {
  uint32_t index = 0;
  std::string status;  // ok | failed | cancelled
  bool parseable = false;
  std::string answer;
  bool correct = false;
  std::string finish_reason;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t reasoning_tokens = 0;
  double cost_usd = 0;
  double started_at_s = 0;
  double duration_s = 0;
  double time_to_first_token_s = 0;
  uint64_t seed = 0;
  bool has_confidence = false;
  double mean_token_confidence = 0;
  uint32_t group = 0;
  std::string backend;  // the backend's name in the server's config
  std::string model;
  std::optional<v1::ChainConfidence> confidence;  // DeepConf statistics, when tracked
  bool cut_low_confidence = false;
};

// A verifier call of the record (SolveResponse.verification.calls).
struct VerifierGrade {
  std::string answer;
  std::optional<double> score;
};

struct Record {
  std::string series;  // Series::Key()
  std::string strategy;
  std::string stop;
  uint32_t thinking_budget = 0;
  std::string backend;
  std::string model;
  uint32_t n = 0;  // chains asked for
  int question = 0;
  std::string id;
  int repeat = 0;
  uint64_t seed = 0;
  std::string reference;  // as the server normalised it
  bool ok = false;
  std::string error;
  bool correct = false;
  std::string answer;
  double latency_s = 0;
  double duration_s = 0;  // server-side
  uint32_t chains_launched = 0;
  uint64_t tokens = 0;
  double cost_usd = 0;
  std::vector<ChainFeatures> chains;  // by plan index
  std::vector<VerifierGrade> verification;
  // The prompt's features (service/compute/prompt_features.h), what `ptc train-policy` learns
  // from; empty in records written before they were recorded.
  std::vector<float> prompt_features;
  // What an auto compute policy decided (SolveResponse.compute), when the series had one.
  std::optional<v1::ComputeDecision> compute;
};

// The ChainRecord a chain's recorded fields describe (no text, cost or timing beyond what is
// recorded).
v1::ChainRecord ToChainRecord(const ChainFeatures& chain);

// Fills the response-derived fields of `record` (ok, answer, ledger, chains) from a Solve call.
void FillFromResponse(const v1::SolveResponse& response, Record& record);

std::string RecordToJson(const Record& record);  // one line, no newline
// INVALID_ARGUMENT naming the field when a field is missing or of the wrong type.
absl::StatusOr<Record> RecordFromJson(const std::string& line);

// The result of the record as asked (n = record.n).
RequestResult ToResult(const Record& record);

// The result the same call would have had with only the first `n` chains of the plan (n <= the
// record's n; fixed stop, majority vote, multiple choice): majority over the prefix's parseable
// answers, ties to the earliest chain (as the server's tally), graded against the reference;
// chains, tokens and cost summed over the prefix. Latency is estimated: the call's latency minus
// its server duration plus the latest end among the prefix's chains.
RequestResult PrefixResult(const Record& record, uint32_t n);

// Appends records to a file, one line each, flushed at once (a crash loses at most the line being
// written, which LoadRecords then drops). Not thread-safe: one writer thread.
class RecordWriter {
 public:
  static absl::StatusOr<RecordWriter> Open(const std::string& path);
  RecordWriter(RecordWriter&& other) noexcept;
  RecordWriter& operator=(RecordWriter&&) = delete;
  ~RecordWriter();
  absl::Status Append(const Record& record);

 private:
  explicit RecordWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
};

// Reads a records file. A last line cut short by a crash (no final newline, or not JSON) is
// dropped and, with `repair`, truncated away so appending continues cleanly; any other bad line
// is an error naming its line.
absl::StatusOr<std::vector<Record>> LoadRecords(const std::string& path, bool repair);

}  // namespace ptc::eval
