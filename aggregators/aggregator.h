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
#include "common/registry.h"
#include "google/protobuf/message.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc {

struct Selection {
  bool answered = false;  // false when no chain gave a parseable answer
  std::string answer;
  double confidence = 0;                  // the winner's share of the selecting weight
  std::vector<v1::Candidate> candidates;  // in the strategy's ranking order
};

class Aggregator {
 public:
  virtual ~Aggregator() = default;
  // The strategy's short name, used in responses and metric labels (bounded set).
  virtual std::string name() const = 0;
  // Whether chains should carry log-probabilities for this strategy.
  virtual bool wants_logprobs() const { return false; }
  virtual Selection Select(const Tally& tally) const = 0;
};

using AggregatorFactory = std::function<absl::StatusOr<std::unique_ptr<Aggregator>>(
    const google::protobuf::Message& config)>;
using AggregatorRegistry = Registry<AggregatorFactory>;

// Builds the aggregator a request asks for; INVALID_ARGUMENT naming "aggregation" when unknown.
absl::StatusOr<std::unique_ptr<Aggregator>> CreateAggregator(const v1::Aggregation& aggregation);

template <typename Config>
struct AggregatorRegistration {
  using TypedFactory = absl::StatusOr<std::unique_ptr<Aggregator>> (*)(const Config&);
  explicit AggregatorRegistration(TypedFactory factory) {
    AggregatorRegistry::Global().Register(Config::descriptor()->full_name(),
                                          [factory](const google::protobuf::Message& m) {
                                            return factory(static_cast<const Config&>(m));
                                          });
  }
};

#define PTC_REGISTER_AGGREGATOR(ConfigType, factory) \
  static ::ptc::AggregatorRegistration<ConfigType> ptc_aggregator_registration_##__LINE__(factory)

}  // namespace ptc
