#include "service/admission/access_metrics.h"

namespace ptc {

AccessMetrics::AccessMetrics(prometheus::Registry& registry)
    : chains_in_flight_(prometheus::BuildGauge()
                            .Name("ptc_admitted_chains_in_flight")
                            .Help("Planned chains of admitted requests still running")
                            .Register(registry)
                            .Add({})),
      queued_(prometheus::BuildGauge()
                  .Name("ptc_admission_queue_length")
                  .Help("Requests waiting for admission")
                  .Register(registry)
                  .Add({})),
      tenant_chains_(prometheus::BuildGauge()
                         .Name("ptc_tenant_chains_in_flight")
                         .Help("Planned chains of a tenant's admitted requests, by tenant")
                         .Register(registry)),
      tenant_reserved_(prometheus::BuildGauge()
                           .Name("ptc_tenant_reserved_usd")
                           .Help("Worst-case spend reserved by a tenant's requests in flight")
                           .Register(registry)),
      tenant_spent_(prometheus::BuildGauge()
                        .Name("ptc_tenant_period_spend_usd")
                        .Help("A tenant's spend in its current budget period")
                        .Register(registry)),
      rejected_(prometheus::BuildCounter()
                    .Name("ptc_access_rejected_total")
                    .Help("Calls refused before running, by tenant (\"unknown\" before "
                          "authentication) and gRPC code")
                    .Register(registry)) {}

void AccessMetrics::Observe(const AdmissionController& admission) {
  chains_in_flight_.Set(admission.chains_in_flight());
  queued_.Set(static_cast<double>(admission.queued()));
}

void AccessMetrics::Observe(Tenant& tenant, absl::Time now) {
  const Tenant::Usage u = tenant.usage(now);
  tenant_chains_.Add({{"tenant", tenant.name()}}).Set(u.chains_in_flight);
  tenant_reserved_.Add({{"tenant", tenant.name()}}).Set(u.reserved_usd);
  tenant_spent_.Add({{"tenant", tenant.name()}}).Set(u.spent_usd);
}

void AccessMetrics::Rejected(const std::string& tenant, const std::string& code) {
  rejected_.Add({{"tenant", tenant}, {"code", code}}).Increment();
}

}  // namespace ptc
