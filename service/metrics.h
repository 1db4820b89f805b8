// The service's Prometheus metrics: one registry, families built once, label values bounded.
// Documented in docs/metrics.md. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "ptc/v1/orchestrator.pb.h"
#include "samplers/chain.h"

namespace ptc {

class Metrics {
 public:
  // At most `max_experiment_labels` distinct experiment values appear; later ones are "other".
  explicit Metrics(uint32_t max_experiment_labels = 32);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void RequestStarted();
  // A request refused before it ran (validation, budget); counted under strategy "none". A
  // RESOURCE_EXHAUSTED refusal (not even one chain fits the request's cost or token cap) also
  // counts as a budget rejection.
  void RequestRejected(const std::string& code);
  void RequestFinished(const std::string& strategy, const std::string& code, double seconds);
  void ChainLaunched();
  // `model_label` must come from a bounded set (configured models, or "other").
  void ChainFinished(const std::string& backend, const std::string& model_label,
                     const std::string& status, const TokenUsage& usage, double cost_usd,
                     double seconds);
  // A verifier call finished (service/verification.h): counted in ptc_verify_calls_total and in
  // the token and cost families (cost with purpose "verify"); not in ptc_chains_total, the chain
  // latency histogram or ptc_chains_in_flight.
  void VerifyFinished(const std::string& backend, const std::string& model_label,
                      const std::string& status, const TokenUsage& usage, double cost_usd);
  // A chain or verifier call that ended kFailed: `error` is its ChainResult.error (its code names
  // the label).
  void BackendError(const std::string& backend, const absl::Status& error);
  void EarlyStopSaved(const std::string& rule, uint64_t tokens, double usd);
  // `n` is the request's planned chain count (bucketed, see NLabel).
  void Graded(const std::string& strategy, const std::string& experiment, uint32_t n, bool correct);
  // Once per Run, from its final response (strategy, ledger, stop decision, candidates and chain
  // records set): vote agreement, unparseable answers, spend by experiment, chains dropped for
  // budget, early stops, verifier fallbacks, requests by experiment.
  void RunFinished(const std::string& experiment, const v1::SolveResponse& response);

  // The `n` label: N rounded up to a power of two ("1", "2", "4", ... "1024"), "more" above 1024,
  // "0" for 0. Bounded: 12 values.
  static std::string NLabel(uint32_t n);

  // An endpoint's circuit breaker is now `state` ("closed", "open", "half_open"). Endpoints come
  // from the config, so the label set is bounded.
  void CircuitState(const std::string& backend, const std::string& endpoint,
                    std::string_view state);

  double chains_in_flight() const { return chains_in_flight_.Value(); }
  double requests_in_flight() const { return requests_in_flight_.Value(); }

 private:
  std::string ExperimentLabel(const std::string& experiment);

  // The series a finished chain adds to, looked up in their families once per (backend, model,
  // status): Family::Add builds a label map and locks the family on every call.
  struct ChainSeries {
    prometheus::Counter* chains;
    prometheus::Histogram* seconds;
    prometheus::Counter* prompt_tokens;
    prometheus::Counter* completion_tokens;
    prometheus::Counter* reasoning_tokens;
    prometheus::Counter* cost;
  };
  const ChainSeries& ChainSeriesFor(const std::string& backend, const std::string& model_label,
                                    const std::string& status);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& chains_;
  prometheus::Family<prometheus::Histogram>& chain_seconds_;
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Counter>& cost_;
  prometheus::Family<prometheus::Counter>& graded_;
  prometheus::Family<prometheus::Counter>& saved_tokens_;
  prometheus::Family<prometheus::Counter>& saved_usd_;
  prometheus::Family<prometheus::Counter>& early_stops_;
  prometheus::Family<prometheus::Histogram>& agreement_;
  prometheus::Family<prometheus::Counter>& unparseable_;
  prometheus::Family<prometheus::Counter>& backend_errors_;
  prometheus::Counter& budget_rejections_;
  prometheus::Counter& dropped_for_budget_;
  prometheus::Family<prometheus::Counter>& experiment_cost_;
  prometheus::Family<prometheus::Counter>& experiment_requests_;
  prometheus::Gauge& chains_in_flight_;
  prometheus::Gauge& requests_in_flight_;
  prometheus::Family<prometheus::Counter>& verify_calls_;
  prometheus::Counter& verifier_fallbacks_;
  prometheus::Family<prometheus::Gauge>& circuit_state_;

  const uint32_t max_experiment_labels_;
  std::mutex mu_;  // guards everything below
  std::set<std::string> experiments_;
  // Keyed by backend, model and status joined with '\0'; bounded as those labels are. The
  // pointers stay valid: no series is ever removed.
  std::unordered_map<std::string, ChainSeries> chain_series_;
};

}  // namespace ptc
