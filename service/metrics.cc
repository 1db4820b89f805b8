#include "service/metrics.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/counter.h"

namespace ptc {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
  return *b;
}

// The winner's share of parseable votes: 1/k (k answers tied) up to 1 (unanimous).
const prometheus::Histogram::BucketBoundaries& ShareBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{0.1, 0.2, 0.3, 0.4,  0.5,  0.6,
                                                                     0.7, 0.8, 0.9, 0.95, 0.999};
  return *b;
}

}  // namespace

Metrics::Metrics(uint32_t max_experiment_labels)
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("ptc_requests_total")
                    .Help("Solve requests finished, by strategy and gRPC status code")
                    .Register(*registry_)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("ptc_request_duration_seconds")
                           .Help("Solve request latency, by strategy")
                           .Register(*registry_)),
      chains_(prometheus::BuildCounter()
                  .Name("ptc_chains_total")
                  .Help("Chains finished, by backend and status (ok, failed, cancelled)")
                  .Register(*registry_)),
      chain_seconds_(prometheus::BuildHistogram()
                         .Name("ptc_chain_duration_seconds")
                         .Help("Chain latency from launch to done, by backend")
                         .Register(*registry_)),
      tokens_(prometheus::BuildCounter()
                  .Name("ptc_tokens_total")
                  .Help("Tokens by backend and kind (prompt, completion, reasoning)")
                  .Register(*registry_)),
      cost_(prometheus::BuildCounter()
                .Name("ptc_cost_usd_total")
                .Help("Spend in USD by backend, model and purpose")
                .Register(*registry_)),
      graded_(prometheus::BuildCounter()
                  .Name("ptc_graded_answers_total")
                  .Help("Answers graded against a reference, by strategy, experiment and result")
                  .Register(*registry_)),
      saved_tokens_(
          prometheus::BuildCounter()
              .Name("ptc_early_stop_saved_tokens_total")
              .Help("Tokens an early stop saved against the whole plan (estimate), by rule")
              .Register(*registry_)),
      saved_usd_(prometheus::BuildCounter()
                     .Name("ptc_early_stop_saved_usd_total")
                     .Help("USD an early stop saved against the whole plan (estimate), by rule")
                     .Register(*registry_)),
      early_stops_(prometheus::BuildCounter()
                       .Name("ptc_early_stops_total")
                       .Help("Requests whose stop rule ended them before the whole plan ran")
                       .Register(*registry_)),
      agreement_(prometheus::BuildHistogram()
                     .Name("ptc_vote_agreement_ratio")
                     .Help("The selected answer's share of parseable votes, by strategy")
                     .Register(*registry_)),
      unparseable_(prometheus::BuildCounter()
                       .Name("ptc_unparseable_answers_total")
                       .Help("Chains that finished OK with no answer the extractor could parse")
                       .Register(*registry_)),
      backend_errors_(prometheus::BuildCounter()
                          .Name("ptc_backend_errors_total")
                          .Help("Chains that failed, by backend and status code of the error")
                          .Register(*registry_)),
      budget_rejections_(prometheus::BuildCounter()
                             .Name("ptc_budget_rejections_total")
                             .Help("Requests refused: not even one chain fits the cost/token cap")
                             .Register(*registry_)
                             .Add({})),
      dropped_for_budget_(prometheus::BuildCounter()
                              .Name("ptc_chains_dropped_for_budget_total")
                              .Help("Planned chains left out because they did not fit a cap")
                              .Register(*registry_)
                              .Add({})),
      experiment_cost_(prometheus::BuildCounter()
                           .Name("ptc_experiment_cost_usd_total")
                           .Help("Spend in USD by experiment, strategy and N (bucketed)")
                           .Register(*registry_)),
      experiment_requests_(prometheus::BuildCounter()
                               .Name("ptc_experiment_requests_total")
                               .Help("Runs finished, by experiment, strategy and N (bucketed)")
                               .Register(*registry_)),
      chains_in_flight_(prometheus::BuildGauge()
                            .Name("ptc_chains_in_flight")
                            .Help("Chains launched and not yet done")
                            .Register(*registry_)
                            .Add({})),
      requests_in_flight_(prometheus::BuildGauge()
                              .Name("ptc_requests_in_flight")
                              .Help("Solve requests running")
                              .Register(*registry_)
                              .Add({})),
      verify_calls_(prometheus::BuildCounter()
                        .Name("ptc_verify_calls_total")
                        .Help("Verifier calls finished, by backend and status (ok, failed, "
                              "cancelled)")
                        .Register(*registry_)),
      verifier_fallbacks_(prometheus::BuildCounter()
                              .Name("ptc_verifier_fallbacks_total")
                              .Help("Runs of the verifier strategy that fell back to majority vote")
                              .Register(*registry_)
                              .Add({})),
      circuit_state_(prometheus::BuildGauge()
                         .Name("ptc_backend_circuit_state")
                         .Help("Circuit-breaker state per backend endpoint: 1 for the current "
                               "state (closed, open, half_open), 0 for the others")
                         .Register(*registry_)),
      max_experiment_labels_(max_experiment_labels) {}

void Metrics::CircuitState(const std::string& backend, const std::string& endpoint,
                           std::string_view state) {
  for (const char* s : {"closed", "open", "half_open"}) {
    circuit_state_.Add({{"backend", backend}, {"endpoint", endpoint}, {"state", s}})
        .Set(state == s ? 1 : 0);
  }
}

void Metrics::RequestStarted() { requests_in_flight_.Increment(); }

void Metrics::RequestFinished(const std::string& strategy, const std::string& code,
                              double seconds) {
  requests_in_flight_.Decrement();
  requests_.Add({{"strategy", strategy}, {"code", code}}).Increment();
  request_seconds_.Add({{"strategy", strategy}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::RequestRejected(const std::string& code) {
  requests_.Add({{"strategy", "none"}, {"code", code}}).Increment();
  if (code == "RESOURCE_EXHAUSTED") budget_rejections_.Increment();
}

void Metrics::ChainLaunched() { chains_in_flight_.Increment(); }

void Metrics::ChainFinished(const std::string& backend, const std::string& model_label,
                            const std::string& status, const TokenUsage& usage, double cost_usd,
                            double seconds) {
  chains_in_flight_.Decrement();
  const ChainSeries& series = ChainSeriesFor(backend, model_label, status);
  series.chains->Increment();
  series.seconds->Observe(seconds);
  series.prompt_tokens->Increment(static_cast<double>(usage.prompt));
  series.completion_tokens->Increment(static_cast<double>(usage.completion));
  series.reasoning_tokens->Increment(static_cast<double>(usage.reasoning));
  series.cost->Increment(cost_usd);
}

const Metrics::ChainSeries& Metrics::ChainSeriesFor(const std::string& backend,
                                                    const std::string& model_label,
                                                    const std::string& status) {
  std::string key;
  key.reserve(backend.size() + model_label.size() + status.size() + 2);
  key.append(backend).append(1, '\0').append(model_label).append(1, '\0').append(status);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = chain_series_.find(key);
  if (it == chain_series_.end()) {
    ChainSeries s;
    s.chains = &chains_.Add({{"backend", backend}, {"status", status}});
    s.seconds = &chain_seconds_.Add({{"backend", backend}}, LatencyBuckets());
    s.prompt_tokens = &tokens_.Add({{"backend", backend}, {"kind", "prompt"}});
    s.completion_tokens = &tokens_.Add({{"backend", backend}, {"kind", "completion"}});
    s.reasoning_tokens = &tokens_.Add({{"backend", backend}, {"kind", "reasoning"}});
    s.cost = &cost_.Add({{"backend", backend}, {"model", model_label}, {"purpose", "generate"}});
    it = chain_series_.emplace(std::move(key), s).first;
  }
  return it->second;
}

void Metrics::VerifyFinished(const std::string& backend, const std::string& model_label,
                             const std::string& status, const TokenUsage& usage, double cost_usd) {
  verify_calls_.Add({{"backend", backend}, {"status", status}}).Increment();
  tokens_.Add({{"backend", backend}, {"kind", "prompt"}}).Increment(usage.prompt);
  tokens_.Add({{"backend", backend}, {"kind", "completion"}}).Increment(usage.completion);
  tokens_.Add({{"backend", backend}, {"kind", "reasoning"}}).Increment(usage.reasoning);
  cost_.Add({{"backend", backend}, {"model", model_label}, {"purpose", "verify"}})
      .Increment(cost_usd);
}

void Metrics::BackendError(const std::string& backend, const absl::Status& error) {
  backend_errors_.Add({{"backend", backend}, {"code", absl::StatusCodeToString(error.code())}})
      .Increment();
}

void Metrics::EarlyStopSaved(const std::string& rule, uint64_t tokens, double usd) {
  saved_tokens_.Add({{"rule", rule}}).Increment(static_cast<double>(tokens));
  saved_usd_.Add({{"rule", rule}}).Increment(usd);
}

void Metrics::Graded(const std::string& strategy, const std::string& experiment, uint32_t n,
                     bool correct) {
  graded_
      .Add({{"strategy", strategy},
            {"experiment", ExperimentLabel(experiment)},
            {"n", NLabel(n)},
            {"result", correct ? "correct" : "incorrect"}})
      .Increment();
}

void Metrics::RunFinished(const std::string& experiment, const v1::SolveResponse& response) {
  const v1::Ledger& ledger = response.ledger();
  const prometheus::Labels by_experiment = {{"strategy", response.strategy()},
                                            {"experiment", ExperimentLabel(experiment)},
                                            {"n", NLabel(ledger.chains_planned())}};
  experiment_cost_.Add(by_experiment).Increment(ledger.cost_usd());
  experiment_requests_.Add(by_experiment).Increment();
  if (ledger.chains_dropped_for_budget() > 0) {
    dropped_for_budget_.Increment(ledger.chains_dropped_for_budget());
  }
  if (response.stop().stopped_early()) {
    early_stops_.Add({{"rule", response.stop().rule()}}).Increment();
  }
  if (!response.verification().fallback().empty()) verifier_fallbacks_.Increment();
  if (!response.answer().empty()) {
    for (const v1::Candidate& c : response.candidates()) {
      if (c.answer() != response.answer()) continue;
      agreement_.Add({{"strategy", response.strategy()}}, ShareBuckets()).Observe(c.share());
      break;
    }
  }
  // Every backend that ran a chain gets its series (at 0 until an unparseable answer), so
  // rate() and ratios over it have data for a healthy backend too.
  // One lookup per backend (usually one for all the chains), not per chain.
  std::vector<std::pair<const std::string*, uint32_t>> unparseable;  // backend, chains
  for (const v1::ChainRecord& r : response.chains()) {
    auto it = std::find_if(unparseable.begin(), unparseable.end(),
                           [&r](const auto& b) { return *b.first == r.backend(); });
    if (it == unparseable.end()) it = unparseable.insert(it, {&r.backend(), 0});
    if (r.status() == v1::CHAIN_STATUS_OK && !r.parseable()) ++it->second;
  }
  for (const auto& [backend, chains] : unparseable) {
    prometheus::Counter& c = unparseable_.Add({{"backend", *backend}});
    if (chains > 0) c.Increment(chains);
  }
}

std::string Metrics::NLabel(uint32_t n) {
  if (n == 0) return "0";
  uint32_t p = 1;
  while (p < n && p <= 1024) p *= 2;
  return p > 1024 ? "more" : std::to_string(p);
}

std::string Metrics::ExperimentLabel(const std::string& experiment) {
  if (experiment.empty()) return "none";
  std::lock_guard<std::mutex> lock(mu_);
  if (experiments_.count(experiment)) return experiment;
  if (experiments_.size() < max_experiment_labels_) {
    experiments_.insert(experiment);
    return experiment;
  }
  return "other";
}

}  // namespace ptc
