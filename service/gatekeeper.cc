#include "service/gatekeeper.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "service/status_util.h"

namespace ptc {
namespace {

// Attempts at planning within a tenant's budget when concurrent requests keep taking what the
// last plan counted on.
constexpr int kPlanAttempts = 4;

}  // namespace

const std::string& GatedCall::tenant() const {
  static const std::string kUnknown = "unknown";
  return tenant_ ? tenant_->name() : kUnknown;
}

void GatedCall::Start(Run::EventSink events, Run::DoneCallback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cancelled_) {
      state_ = State::kRunning;
      run_->Start(std::move(events), [self = shared_from_this(), done = std::move(done)](
                                         absl::Status status, v1::SolveResponse response) {
        {
          std::lock_guard<std::mutex> lock(self->mu_);
          self->state_ = State::kDone;
        }
        self->ReleaseAll(response.ledger().cost_usd());
        done(std::move(status), std::move(response));
      });
      // A drain that came between admission and now.
      if (!drain_reason_.empty()) run_->Drain(drain_reason_);
      return;
    }
    state_ = State::kDone;
  }
  ReleaseAll(0);
  done(absl::CancelledError("cancelled before it started"), v1::SolveResponse());
}

void GatedCall::Drain(const std::string& reason) {
  std::shared_ptr<Run> run;
  uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_ || !drain_reason_.empty()) return;
    drain_reason_ = reason;
    if (state_ == State::kRunning) run = run_;
    if (state_ == State::kQueued) ticket = ticket_;
  }
  if (run) run->Drain(reason);
  if (ticket != 0) gate_.admission_.Cancel(ticket, absl::UnavailableError(reason));
}

void GatedCall::Cancel() {
  std::shared_ptr<Run> run;
  uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    if (state_ == State::kRunning) run = run_;
    if (state_ == State::kQueued) ticket = ticket_;
  }
  if (run) run->Cancel();
  if (ticket != 0) gate_.admission_.Cancel(ticket);
}

void GatedCall::OnAdmission(absl::Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status.ok()) admitted_ = true;
    if (status.ok() && cancelled_) status = absl::CancelledError("cancelled while admitted");
    state_ = status.ok() ? State::kAdmitted : State::kDone;
  }
  if (!status.ok()) {
    ReleaseAll(0);
    gate_.Reject(*this, status);
  }
  ready_(*this, status);
}

void GatedCall::ReleaseAll(double spent_usd) {
  bool admitted = false;
  bool tenant_reserved = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(admitted, admitted_);
    std::swap(tenant_reserved, tenant_reserved_);
  }
  if (admitted) {
    gate_.admission_.Release(chains_);
    gate_.metrics_.Observe(gate_.admission_);
  }
  if (tenant_reserved) {
    tenant_->Release(chains_, reserved_usd_, spent_usd, absl::Now());
    gate_.metrics_.Observe(*tenant_, absl::Now());
  }
}

Gatekeeper::Gatekeeper(const v1::ServerConfig& config, RunContext& ctx)
    : ctx_(ctx),
      tenants_(config.tenants(), absl::Now()),
      admission_(config.admission(), ctx.io[0]),
      metrics_(*ctx.metrics.registry()) {
  for (const auto& t : tenants_.tenants()) metrics_.Observe(*t, absl::Now());
  metrics_.Observe(admission_);
}

std::shared_ptr<GatedCall> Gatekeeper::Begin(const CallInfo& info, const v1::SolveRequest& request,
                                             GatedCall::Ready ready) {
  std::shared_ptr<GatedCall> call(new GatedCall(*this, std::move(ready)));
  absl::Status checked = Check(*call, info, request);
  if (!checked.ok()) {
    call->OnAdmission(checked);
    return call;
  }
  auto ticket = admission_.Admit(call->chains_, info.deadline,
                                 [call](absl::Status s) { call->OnAdmission(std::move(s)); });
  metrics_.Observe(admission_);
  if (!ticket.ok()) {
    call->OnAdmission(ticket.status());
  } else if (ticket->admitted) {
    call->OnAdmission(absl::OkStatus());
  } else {
    bool cancelled = false;
    std::string drain;
    {
      std::lock_guard<std::mutex> lock(call->mu_);
      call->state_ = GatedCall::State::kQueued;
      call->ticket_ = ticket->id;
      cancelled = call->cancelled_;
      drain = call->drain_reason_;
    }
    if (cancelled) {
      admission_.Cancel(ticket->id);
    } else if (!drain.empty()) {
      admission_.Cancel(ticket->id, absl::UnavailableError(drain));
    }
  }
  return call;
}

absl::Status Gatekeeper::Check(GatedCall& call, const CallInfo& info,
                               const v1::SolveRequest& request) {
  ASSIGN_OR_RETURN(call.tenant_, tenants_.Authenticate(info.x_api_key, info.authorization));
  RETURN_IF_ERROR(call.tenant_->TakeRequest(absl::Now()));
  return PlanWithinBudget(call, info, request);
}

absl::Status Gatekeeper::PlanWithinBudget(GatedCall& call, const CallInfo& info,
                                          const v1::SolveRequest& request) {
  Tenant& tenant = *call.tenant_;
  absl::Status last;
  for (int attempt = 0; attempt < kPlanAttempts; ++attempt) {
    const double available = tenant.AvailableUsd(absl::Now());
    // The tenant's remaining budget caps the plan's cost, so the plan shrinks to fit it
    // (ledger.chains_dropped_for_budget says by how much).
    if (available <= 0) return tenant.Reserve(0, 1e-12, absl::Now());  // names the budget
    absl::StatusOr<std::shared_ptr<Run>> run = Run::Create(request, ctx_, info.deadline, available);
    const double asked = request.limits().max_cost_usd();
    if (!run.ok() && absl::IsResourceExhausted(run.status()) && !std::isinf(available) &&
        !(asked > 0 && asked <= available)) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "tenant \"%s\": its spend budget has $%.6f left in this period, less than one chain's "
          "worst case (%s)",
          tenant.name(), available, run.status().message()));
    }
    RETURN_IF_ERROR(run.status());
    const RequestPlan& plan = (*run)->plan();
    for (const PlannedChain& c : plan.chains) {
      if (!tenant.AllowsBackend(c.backend_name)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "tenant \"", tenant.name(), "\" may not use backend \"", c.backend_name,
            "\" (allowed: ", absl::StrJoin(tenant.config().allowed_backends(), ", "), ")"));
      }
    }
    const uint32_t chains = static_cast<uint32_t>(plan.chains.size());
    last = tenant.Reserve(chains, plan.reserved_usd, absl::Now());
    if (last.ok()) {
      call.run_ = *std::move(run);
      call.chains_ = chains;
      call.reserved_usd_ = plan.reserved_usd;
      {
        std::lock_guard<std::mutex> lock(call.mu_);
        call.tenant_reserved_ = true;
      }
      metrics_.Observe(tenant, absl::Now());
      return absl::OkStatus();
    }
    // The chains limit does not change by replanning; a budget taken meanwhile might.
    if (tenant.config().budget_usd() <= 0) break;
  }
  return last;
}

void Gatekeeper::Reject(const GatedCall& call, const absl::Status& status) {
  metrics_.Rejected(call.tenant(), GrpcCodeName(ToGrpcStatus(status).error_code()));
}

}  // namespace ptc
