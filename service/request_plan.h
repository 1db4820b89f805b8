// Turns a SolveRequest into a validated plan: every chain to run, on which backend, with its
// worst-case cost reserved against the request's cap. All request validation lives here; every
// error is INVALID_ARGUMENT naming the field (e.g. "sampling[0].n: must be at least 1"), or
// RESOURCE_EXHAUSTED when not even one chain fits the cost cap.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/aggregator.h"
#include "aggregators/extract/answer_extractor.h"
#include "aggregators/stop_rule.h"
#include "ptc/v1/config.pb.h"
#include "ptc/v1/orchestrator.pb.h"
#include "samplers/backend.h"
#include "service/backend_set.h"
#include "service/pricing.h"

namespace ptc {

struct PlannedChain {
  ChainSpec spec;
  Backend* backend = nullptr;
  std::string backend_name;
  double reserved_usd = 0;  // worst case: prompt bytes as tokens, max_tokens of output
};

struct RequestPlan {
  std::vector<PlannedChain> chains;  // in plan order; spec.index is the position
  uint32_t planned = 0;              // chains the request asked for
  uint32_t dropped_for_budget = 0;   // asked for but not covered by the cost or token cap
  uint32_t min_ok_chains = 1;        // the quorum (limits.min_ok_chains, at least 1)
  double reserved_usd = 0;
  uint64_t reserved_tokens = 0;
  std::unique_ptr<AnswerExtractor> extractor;
  std::unique_ptr<Aggregator> aggregator;
  std::unique_ptr<StopRule> stop_rule;
  uint32_t first_wave = 0;  // chains launched at once at the start; 0 = all
  uint32_t wave_size = 0;   // chains launched each time every launched chain is done
  // Group window of each chain's confidence tracker; 0 = no tracking (neither the strategy nor the
  // stop rule uses confidence).
  uint32_t confidence_window = 0;
  std::string reference;  // normalised; empty when none was given
};

absl::StatusOr<RequestPlan> PlanRequest(const v1::SolveRequest& request,
                                        const v1::ServerLimits& limits, const BackendSet& backends,
                                        const PriceTable& prices);

}  // namespace ptc
