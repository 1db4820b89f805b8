// Aggregator: selects the final answer from the tally of a request's chains.
//
// Strategies are plugins keyed by the full protobuf name of their message in the request's
// `Aggregation.strategy` oneof (e.g. "ptc.v1.MajorityVote"); an unset strategy is majority.
// A strategy's folder registers itself:
//
//   PTC_REGISTER_AGGREGATOR(ptc::v1::MajorityVote, &MajorityAggregator::Create);
//
// One Aggregator is created per request (cheap) and used from that request's strand only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/tally.h"
#include "common/message_plugin.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc {

// What a strategy that grades candidates with a verifier model asks of the Run: after the last
// counted chain, one verifier call per distinct candidate (service/verification.h).
struct VerifySettings {
  std::string backend;             // a configured backend; empty = the server's default
  std::string model;               // empty = the backend's default model
  uint32_t max_candidates = 4;     // candidates graded, the top by votes (ties: earliest chain)
  uint32_t max_tokens = 0;         // output tokens per call; 0 = the server's default
  uint32_t evidence_bytes = 4096;  // the end of the evidence chain's output in the prompt
};

// A candidate's verifier call, as the Run saw it.
struct CandidateGrade {
  std::string answer;
  uint32_t evidence_chain = 0;  // plan index of the chain whose text was the evidence
  std::optional<double> score;  // in [0, 1]; empty when the call failed or gave no score
  std::string error;            // why there is no score
};

// What the verification phase produced, for Select.
struct VerificationOutcome {
  std::string verifier;                // "backend/model", for the rule text
  std::vector<CandidateGrade> grades;  // the graded candidates, by votes descending
  std::string skipped;                 // non-empty when no call ran: why
};

// What a strategy that asks a selector model for the most consistent response (universal
// self-consistency) asks of the Run: after the last counted chain, one selector call.
struct UscSettings {
  std::string backend;             // a configured backend; empty = the server's default
  std::string model;               // empty = the backend's default model
  uint32_t max_tokens = 0;         // output tokens of the call; 0 = the server's default
  uint32_t max_responses = 16;     // responses shown, the first answering chains in plan order
  uint32_t response_bytes = 2048;  // the end of each response's text
};

// What the selector call produced, for Select.
struct UscOutcome {
  std::string selector;                   // "backend/model", for the rule text
  std::vector<uint32_t> response_chains;  // plan index of the chain shown as Response k + 1
  std::optional<uint32_t> selected;       // k (0-based) when the reply named a response
  std::string error;                      // why there is no selection, when the call ran
  std::string skipped;                    // non-empty when no call ran: why
};

// What a strategy selects from: the tally of the chains that count, and those chains' records
// (plan index, status, answer and whether it parsed, finish reason, token usage, and confidence
// statistics when the strategy wanted log-probabilities). After an early stop only the plan-order
// prefix the stop rule saw counts; `chains` holds exactly the counted chains, in plan order, and
// `tally` the parseable answers among them. `verification` is set (for a strategy with
// verify_settings() only) to what its verifier calls gave. The pointers are valid during Select
// only.
struct SelectionInput {
  const Tally& tally;
  std::vector<const v1::ChainRecord*> chains;
  const VerificationOutcome* verification = nullptr;
  const UscOutcome* usc = nullptr;  // for a strategy with usc_settings() only
};

struct Selection {
  bool answered = false;  // false when no chain gave a parseable answer
  std::string answer;
  double confidence = 0;                  // the winner's share of the selecting weight
  std::vector<v1::Candidate> candidates;  // in the strategy's ranking order
  std::string rule;                       // how it decided, for SolveResponse.selection_rule
  // The vote weight of each of input.chains (same order); 0 for a chain that did not vote. Empty
  // means one vote for each parseable chain.
  std::vector<double> chain_weights;
  // Non-empty when the strategy could not apply its own rule and fell back to a plain vote: why.
  std::string fallback;
  // The learned strategy: the scorer model it used, for SolveResponse.scorer.
  std::optional<v1::ScorerInfo> scorer;
};

class Aggregator {
 public:
  virtual ~Aggregator() = default;
  // The strategy's short name, used in responses and metric labels (bounded set).
  virtual std::string name() const = 0;
  // Whether chains should carry log-probabilities (and confidence statistics) for this strategy.
  virtual bool wants_logprobs() const { return false; }
  // The group window for the chains' confidence statistics, when wants_logprobs().
  virtual uint32_t confidence_window() const { return 2048; }
  // Non-null when the strategy grades candidates with a verifier model: the Run then runs a
  // verification phase before Select and passes its outcome in SelectionInput.verification.
  virtual const VerifySettings* verify_settings() const { return nullptr; }
  // Non-null when the strategy asks a selector model for the most consistent response: the Run
  // then makes that call before Select and passes its outcome in SelectionInput.usc.
  virtual const UscSettings* usc_settings() const { return nullptr; }
  virtual Selection Select(const SelectionInput& input) const = 0;
};

using AggregatorRegistry = MessagePluginRegistry<Aggregator>;

// Builds the aggregator a request asks for (majority when unset); INVALID_ARGUMENT naming
// "aggregation" when unknown.
absl::StatusOr<std::unique_ptr<Aggregator>> CreateAggregator(const v1::Aggregation& aggregation);

#define PTC_REGISTER_AGGREGATOR(ConfigType, factory) \
  PTC_REGISTER_MESSAGE_PLUGIN(::ptc::Aggregator, ConfigType, factory)

}  // namespace ptc
