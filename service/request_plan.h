// Turns a SolveRequest into a validated plan: every chain to run, on which backend, with its
// worst-case cost reserved against the request's cap, and the calls a strategy makes after the
// chains (a verifier's, a usc selector's). All request validation lives here; every error is
// INVALID_ARGUMENT naming the field (e.g. "sampling[0].n: must be at least 1"), or
// RESOURCE_EXHAUSTED when not even one chain fits the cost cap. Calls after the chains that do
// not fit are not an error: the plan reserves as many as fit (the chains come first) and says why
// when none does.
#pragma once

#include <limits>
#include <memory>
#include <optional>
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
#include "service/compute/auto_compute.h"
#include "service/pricing.h"

namespace ptc {

struct PlannedChain {
  ChainSpec spec;
  Backend* backend = nullptr;
  std::string backend_name;
  double reserved_usd = 0;  // worst case: prompt bytes as tokens, max_tokens of output
};

// The calls a strategy makes after the chains, before Select (service/verification.h): a
// verifier's grades (verify_settings()) or a usc selection (usc_settings()).
struct SelectionCallPlan {
  Backend* backend = nullptr;
  std::string backend_name;
  // What every call shares: model, max_tokens, deadline (Run::Create sets it). The Run fills in
  // messages, index and seed per call.
  ChainSpec spec;
  uint32_t calls = 0;           // reserved: at most the strategy's; 0 = none fits (see skipped)
  uint32_t evidence_bytes = 0;  // verifier: the evidence chain's output kept per candidate
  uint32_t max_responses = 0;   // usc: responses shown
  uint32_t response_bytes = 0;  // usc: the end of each response kept
  double reserved_usd_per_call = 0;  // worst case: the largest prompt, max_tokens of output
  std::string skipped;               // when calls == 0: why
};
using VerifyPlan = SelectionCallPlan;

struct RequestPlan {
  std::vector<PlannedChain> chains;  // in plan order; spec.index is the position
  uint32_t planned = 0;              // chains the request asked for
  uint32_t dropped_for_budget = 0;   // asked for but not covered by the cost or token cap
  uint32_t min_ok_chains = 1;        // the quorum (limits.min_ok_chains, at least 1)
  double reserved_usd = 0;
  uint64_t reserved_tokens = 0;
  std::shared_ptr<const AnswerExtractor> extractor;  // shared between requests of one format
  std::unique_ptr<Aggregator> aggregator;
  std::unique_ptr<StopRule> stop_rule;
  uint32_t first_wave = 0;  // chains launched at once at the start; 0 = all
  uint32_t wave_size = 0;   // chains launched each time every launched chain is done
  // Group window of each chain's confidence tracker; 0 = no tracking (neither the strategy nor the
  // stop rule uses confidence).
  uint32_t confidence_window = 0;
  std::string reference;  // normalised; empty when none was given
  // Set when the strategy grades candidates with a verifier. Its calls' worst case is reserved
  // after the chains', from what the caps leave (reserved_usd and reserved_tokens include it).
  std::optional<VerifyPlan> verify;
  // Set when the strategy asks a selector for the most consistent response (usc): one call,
  // reserved the same way.
  std::optional<SelectionCallPlan> usc;
  // Set for the auto compute policy: its probe and what it decided before the chains.
  std::optional<compute::AutoCompute> auto_compute;
};

// `extra_cost_cap` (USD) lowers the cost cap further, e.g. to what a tenant's budget has left;
// +inf = none.
absl::StatusOr<RequestPlan> PlanRequest(
    const v1::SolveRequest& request, const v1::ServerLimits& limits, const BackendSet& backends,
    const PriceTable& prices, double extra_cost_cap = std::numeric_limits<double>::infinity());

}  // namespace ptc
