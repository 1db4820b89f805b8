#include "service/admission/tenants.h"

#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"
#include "re2/re2.h"

namespace ptc {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

double BurstOf(const v1::TenantConfig& c) {
  return c.burst() > 0 ? c.burst() : std::max(1.0, std::ceil(c.requests_per_second()));
}

}  // namespace

Tenant::Tenant(const v1::TenantConfig& config, absl::Time now)
    : config_(config), bucket_(config.requests_per_second(), BurstOf(config), now) {
  usage_.period = PeriodOf(now);
}

bool Tenant::AllowsBackend(absl::string_view backend) const {
  if (config_.allowed_backends().empty()) return true;
  for (const std::string& b : config_.allowed_backends()) {
    if (b == backend) return true;
  }
  return false;
}

int64_t Tenant::PeriodOf(absl::Time t) const {
  const int64_t period_s = config_.budget_period_s() > 0 ? config_.budget_period_s() : 86400;
  return absl::ToUnixSeconds(t) / period_s;
}

absl::Duration Tenant::UntilNextPeriod(absl::Time now) const {
  const int64_t period_s = config_.budget_period_s() > 0 ? config_.budget_period_s() : 86400;
  return absl::FromUnixSeconds((PeriodOf(now) + 1) * period_s) - now;
}

void Tenant::Roll(absl::Time now) {
  const int64_t p = PeriodOf(now);
  if (p > usage_.period) {
    usage_.period = p;
    usage_.spent_usd = 0;
  }
}

absl::Status Tenant::TakeRequest(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bucket_.TryTake(now)) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "tenant \"%s\": request rate limit of %g/s (burst %g) exceeded; retry in %d ms", name(),
      config_.requests_per_second(), BurstOf(config_),
      absl::ToInt64Milliseconds(bucket_.TimeToNext(now)) + 1));
}

double Tenant::AvailableUsd(absl::Time now) {
  if (config_.budget_usd() <= 0) return std::numeric_limits<double>::infinity();
  std::lock_guard<std::mutex> lock(mu_);
  Roll(now);
  return std::max(0.0, config_.budget_usd() - usage_.spent_usd - usage_.reserved_usd);
}

absl::Status Tenant::Reserve(uint32_t chains, double usd, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  Roll(now);
  const uint32_t max_chains = config_.max_chains_in_flight();
  if (max_chains > 0 && usage_.chains_in_flight + chains > max_chains) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "tenant \"%s\": %d chains in flight, this request plans %d, the limit is %d", name(),
        usage_.chains_in_flight, chains, max_chains));
  }
  const double budget = config_.budget_usd();
  if (budget > 0 && usage_.spent_usd + usage_.reserved_usd + usd > budget) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "tenant \"%s\": spend budget of $%.4f per %ds exhausted ($%.4f spent, $%.4f reserved by "
        "requests in flight; this request needs up to $%.4f); the period resets in %ds",
        name(), budget, config_.budget_period_s(), usage_.spent_usd, usage_.reserved_usd, usd,
        absl::ToInt64Seconds(UntilNextPeriod(now)) + 1));
  }
  usage_.chains_in_flight += chains;
  usage_.reserved_usd += usd;
  return absl::OkStatus();
}

void Tenant::Release(uint32_t chains, double reserved_usd, double spent_usd, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  Roll(now);
  usage_.chains_in_flight -= std::min(chains, usage_.chains_in_flight);
  usage_.reserved_usd = std::max(0.0, usage_.reserved_usd - reserved_usd);
  // Floating-point residue of many reservations must not read as a reservation.
  if (usage_.chains_in_flight == 0 && usage_.reserved_usd < 1e-9) usage_.reserved_usd = 0;
  usage_.spent_usd += spent_usd;
}

Tenant::Usage Tenant::usage(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  Roll(now);
  return usage_;
}

TenantRegistry::TenantRegistry(const google::protobuf::RepeatedPtrField<v1::TenantConfig>& tenants,
                               absl::Time now)
    : open_(tenants.empty()) {
  if (open_) {
    v1::TenantConfig c;
    c.set_name(std::string(kOpenTenant));
    tenants_.push_back(std::make_unique<Tenant>(c, now));
    return;
  }
  for (const v1::TenantConfig& c : tenants) {
    tenants_.push_back(std::make_unique<Tenant>(c, now));
    for (const std::string& digest : c.api_key_sha256()) {
      by_key_digest_[digest] = tenants_.back().get();
    }
  }
}

absl::StatusOr<Tenant*> TenantRegistry::Authenticate(absl::string_view x_api_key,
                                                     absl::string_view authorization) const {
  if (open_) return tenants_.front().get();
  absl::string_view key = x_api_key;
  if (key.empty() && !authorization.empty()) {
    key = authorization;
    if (!absl::ConsumePrefix(&key, "Bearer ") && !absl::ConsumePrefix(&key, "bearer ")) {
      return absl::UnauthenticatedError(
          "the authorization metadata is not \"Bearer KEY\"; send the API key as x-api-key or "
          "authorization: Bearer");
    }
  }
  if (key.empty()) {
    return absl::UnauthenticatedError(
        "missing API key: send it as metadata x-api-key or authorization: Bearer");
  }
  auto it = by_key_digest_.find(Sha256Hex(std::string_view(key.data(), key.size())));
  if (it == by_key_digest_.end()) return absl::UnauthenticatedError("unknown API key");
  return it->second;
}

void WithAdmissionDefaults(v1::ServerConfig& config) {
  v1::AdmissionConfig* a = config.mutable_admission();
  if (a->max_chains_in_flight() == 0) a->set_max_chains_in_flight(4096);
  if (a->max_queued_requests() == 0) a->set_max_queued_requests(256);
  if (a->max_queue_wait_ms() == 0) a->set_max_queue_wait_ms(10000);
  for (v1::TenantConfig& t : *config.mutable_tenants()) {
    if (t.budget_period_s() == 0) t.set_budget_period_s(86400);
  }
}

absl::Status ValidateTenants(const google::protobuf::RepeatedPtrField<v1::TenantConfig>& tenants) {
  static const RE2 kName("[a-z0-9_-]{1,64}");
  std::set<std::string> names;
  std::set<std::string> digests;
  for (int i = 0; i < tenants.size(); ++i) {
    const v1::TenantConfig& t = tenants[i];
    const std::string field = absl::StrCat("tenants[", i, "]");
    if (!RE2::FullMatch(t.name(), kName)) {
      return FieldError(field + ".name",
                        absl::StrCat("\"", t.name(), "\" is not [a-z0-9_-]{1,64}"));
    }
    if (!names.insert(t.name()).second) {
      return FieldError(field + ".name", absl::StrCat("duplicate \"", t.name(), "\""));
    }
    if (t.api_key_sha256().empty()) {
      return FieldError(field + ".api_key_sha256", "at least one key digest is required");
    }
    for (int k = 0; k < t.api_key_sha256_size(); ++k) {
      const std::string key_field = absl::StrCat(field, ".api_key_sha256[", k, "]");
      if (!IsSha256Hex(t.api_key_sha256(k))) {
        // The value is not echoed: someone may have pasted a key instead of its digest.
        return FieldError(key_field,
                          "not a SHA-256 digest (64 lower-case hex digits; `ptc hash-key` prints "
                          "one); never put the key itself in the config");
      }
      if (!digests.insert(t.api_key_sha256(k)).second) {
        return FieldError(key_field, "the same key digest is listed twice");
      }
    }
    if (!(t.requests_per_second() >= 0 && t.requests_per_second() <= 1e6)) {
      return FieldError(field + ".requests_per_second", "must be in [0, 1000000]");
    }
    if (t.burst() > 1000000) return FieldError(field + ".burst", "at most 1000000");
    if (t.burst() > 0 && t.requests_per_second() == 0) {
      return FieldError(field + ".burst", "needs requests_per_second");
    }
    if (!(t.budget_usd() >= 0 && t.budget_usd() <= 1e9)) {
      return FieldError(field + ".budget_usd", "must be in [0, 1e9]");
    }
    if (t.budget_period_s() < 1 || t.budget_period_s() > 366 * 86400) {
      return FieldError(field + ".budget_period_s", "must be in [1, 31622400]");
    }
    for (int b = 0; b < t.allowed_backends_size(); ++b) {
      if (!RE2::FullMatch(t.allowed_backends(b), kName)) {
        return FieldError(absl::StrCat(field, ".allowed_backends[", b, "]"),
                          "not a backend name [a-z0-9_-]{1,64}");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAdmission(const v1::AdmissionConfig& a) {
  if (a.max_chains_in_flight() > 10000000) {
    return FieldError("admission.max_chains_in_flight", "at most 10000000");
  }
  if (a.max_queued_requests() > 1000000) {
    return FieldError("admission.max_queued_requests", "at most 1000000");
  }
  if (a.max_queue_wait_ms() > 3600 * 1000) {
    return FieldError("admission.max_queue_wait_ms", "at most 3600000 (one hour)");
  }
  return absl::OkStatus();
}

}  // namespace ptc
