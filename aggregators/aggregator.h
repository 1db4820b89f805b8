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
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/tally.h"
#include "common/message_plugin.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc {

// What a strategy selects from: the tally of the chains that count, and those chains' records
// (plan index, status, answer and whether it parsed, finish reason, token usage, and confidence
// statistics when the strategy wanted log-probabilities). After an early stop only the plan-order
// prefix the stop rule saw counts; `chains` holds exactly the counted chains, in plan order, and
// `tally` the parseable answers among them. The pointers are valid during Select only.
struct SelectionInput {
  const Tally& tally;
  std::vector<const v1::ChainRecord*> chains;
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
  virtual Selection Select(const SelectionInput& input) const = 0;
};

using AggregatorRegistry = MessagePluginRegistry<Aggregator>;

// Builds the aggregator a request asks for (majority when unset); INVALID_ARGUMENT naming
// "aggregation" when unknown.
absl::StatusOr<std::unique_ptr<Aggregator>> CreateAggregator(const v1::Aggregation& aggregation);

#define PTC_REGISTER_AGGREGATOR(ConfigType, factory) \
  PTC_REGISTER_MESSAGE_PLUGIN(::ptc::Aggregator, ConfigType, factory)

}  // namespace ptc
