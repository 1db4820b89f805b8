// Planning of the `auto` compute policy (SolveRequest.compute.auto, see orchestrator.proto):
// validates its settings, asks the thinking policy (when named) whether this prompt should think,
// and says how the plan changes: every chain's thinking budget, the escalated budget of the
// chains after the probe, and the probe for the stop rule (aggregators/stop/auto). Errors are
// INVALID_ARGUMENT naming the field (compute.auto.probe, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "ptc/v1/config.pb.h"
#include "ptc/v1/orchestrator.pb.h"
#include "samplers/chain.h"
#include "service/compute/thinking_policy.h"

namespace ptc::compute {

inline constexpr uint32_t kDefaultProbe = 4;
inline constexpr uint32_t kDefaultThinkingBudget = 4096;

struct AutoCompute {
  uint32_t probe = kDefaultProbe;
  double settled = 1.0;  // the probe agreement that settles the question
  // Set when a thinking policy decided: every chain's thinking budget (0 = thinking off).
  std::optional<uint32_t> thinking_budget;
  uint32_t escalate_thinking_budget = 0;  // chains after the probe; 0 = unchanged
  v1::ComputeDecision decision;           // what was decided before the chains (Run adds the rest)
};

// nullopt when the request has no compute policy.
absl::StatusOr<std::optional<AutoCompute>> PlanAutoCompute(const v1::SolveRequest& request,
                                                           const std::vector<ChatMessage>& messages,
                                                           const v1::ServerLimits& limits,
                                                           PolicyStore& policies);

// The group as the chains of an auto plan run it: thinking_budget replaced (reasoning_effort
// cleared) when `budget` is set.
v1::SamplingGroup WithThinking(const v1::SamplingGroup& group, std::optional<uint32_t> budget);

}  // namespace ptc::compute
