// StopRule: decides, after each finished chain, whether the request has sampled enough.
//
// Rules are plugins keyed by the full protobuf name of their message in the request's
// `StopRule.rule` oneof (e.g. "ptc.v1.StopRule.AdaptiveConsistency"); unset means fixed N.
//
//   PTC_REGISTER_STOP_RULE(ptc::v1::StopRule::EarlyStopping, &EscRule::Create);
//
// One rule is created per request and used from that request's strand only.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "aggregators/tally.h"
#include "common/message_plugin.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc {

// One planned chain as a rule sees it, by plan index.
struct ChainVote {
  bool finished = false;  // done, whatever its status
  bool voted = false;     // finished OK with a parseable answer
  std::string answer;     // when voted
  // The chain's lowest group confidence, when the rule wants confidence (confidence_window() > 0)
  // and the chain's tokens carried log-probabilities.
  std::optional<double> confidence;
};

struct StopCheck {
  bool stop = false;
  double statistic = 0;  // the rule's own measure, reported with the decision
};

class StopRule {
 public:
  virtual ~StopRule() = default;
  // Short name for responses and metric labels (bounded set).
  virtual std::string name() const = 0;
  // Chains per wave when the request names no launch policy; 0 = all at once.
  virtual uint32_t default_wave_size() const = 0;
  // Chains in the first wave when the request names no launch policy; 0 = default_wave_size().
  virtual uint32_t default_first_wave() const { return 0; }
  // Called as the plan-order prefix of finished chains grows, once per chain joining it, with
  // that prefix (`tally` counts its votes).
  virtual StopCheck Check(const Tally& tally, std::span<const ChainVote> chains) const = 0;

  // Confidence-based rules. A rule that returns a window > 0 gets each chain's lowest group
  // confidence over that window in ChainVote::confidence, and the plan asks backends for
  // log-probabilities (refusing backends that have none).
  virtual uint32_t confidence_window() const { return 0; }
  // A threshold for cutting chains mid-stream, once the prefix allows one (nullopt before): a
  // chain of plan index >= protected_chains() whose group confidence over the last
  // confidence_window() tokens falls below it is cancelled and does not vote. Called like Check.
  virtual std::optional<double> CutThreshold(std::span<const ChainVote> /*chains*/) const {
    return std::nullopt;
  }
  // Chains that are never cut (the warm-up), in plan order.
  virtual uint32_t protected_chains() const { return 0; }
};

using StopRuleRegistry = MessagePluginRegistry<StopRule>;

// Builds the rule a request asks for (fixed N when unset); INVALID_ARGUMENT naming the field when
// its settings are bad.
absl::StatusOr<std::unique_ptr<StopRule>> CreateStopRule(const v1::StopRule& stop);

#define PTC_REGISTER_STOP_RULE(ConfigType, factory) \
  PTC_REGISTER_MESSAGE_PLUGIN(::ptc::StopRule, ConfigType, factory)

}  // namespace ptc
