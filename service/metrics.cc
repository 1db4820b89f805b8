#include "service/metrics.h"

#include "prometheus/counter.h"

namespace ptc {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
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
      max_experiment_labels_(max_experiment_labels) {}

void Metrics::RequestStarted() { requests_in_flight_.Increment(); }

void Metrics::RequestFinished(const std::string& strategy, const std::string& code,
                              double seconds) {
  requests_in_flight_.Decrement();
  requests_.Add({{"strategy", strategy}, {"code", code}}).Increment();
  request_seconds_.Add({{"strategy", strategy}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::RequestRejected(const std::string& code) {
  requests_.Add({{"strategy", "none"}, {"code", code}}).Increment();
}

void Metrics::ChainLaunched() { chains_in_flight_.Increment(); }

void Metrics::ChainFinished(const std::string& backend, const std::string& model_label,
                            const std::string& status, const TokenUsage& usage, double cost_usd,
                            double seconds) {
  chains_in_flight_.Decrement();
  chains_.Add({{"backend", backend}, {"status", status}}).Increment();
  chain_seconds_.Add({{"backend", backend}}, LatencyBuckets()).Observe(seconds);
  tokens_.Add({{"backend", backend}, {"kind", "prompt"}}).Increment(usage.prompt);
  tokens_.Add({{"backend", backend}, {"kind", "completion"}}).Increment(usage.completion);
  tokens_.Add({{"backend", backend}, {"kind", "reasoning"}}).Increment(usage.reasoning);
  cost_.Add({{"backend", backend}, {"model", model_label}, {"purpose", "generate"}})
      .Increment(cost_usd);
}

void Metrics::EarlyStopSaved(const std::string& rule, uint64_t tokens, double usd) {
  saved_tokens_.Add({{"rule", rule}}).Increment(static_cast<double>(tokens));
  saved_usd_.Add({{"rule", rule}}).Increment(usd);
}

void Metrics::Graded(const std::string& strategy, const std::string& experiment, bool correct) {
  graded_
      .Add({{"strategy", strategy},
            {"experiment", ExperimentLabel(experiment)},
            {"result", correct ? "correct" : "incorrect"}})
      .Increment();
}

std::string Metrics::ExperimentLabel(const std::string& experiment) {
  if (experiment.empty()) return "none";
  absl::MutexLock lock(&mu_);
  if (experiments_.count(experiment)) return experiment;
  if (experiments_.size() < max_experiment_labels_) {
    experiments_.insert(experiment);
    return experiment;
  }
  return "other";
}

}  // namespace ptc
