// Metrics of admission and tenants (see docs/metrics.md). Label values are tenant names from the
// config (bounded) and gRPC code names; never keys.
#pragma once

#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "service/admission/admission_controller.h"
#include "service/admission/tenants.h"

namespace ptc {

class AccessMetrics {
 public:
  explicit AccessMetrics(prometheus::Registry& registry);

  // Sets the gauges from the current state.
  void Observe(const AdmissionController& admission);
  void Observe(Tenant& tenant, absl::Time now);
  void Rejected(const std::string& tenant, const std::string& code);

 private:
  prometheus::Gauge& chains_in_flight_;
  prometheus::Gauge& queued_;
  prometheus::Family<prometheus::Gauge>& tenant_chains_;
  prometheus::Family<prometheus::Gauge>& tenant_reserved_;
  prometheus::Family<prometheus::Gauge>& tenant_spent_;
  prometheus::Family<prometheus::Counter>& rejected_;
};

}  // namespace ptc
