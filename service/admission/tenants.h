// Tenants: who may call (API keys, stored only as SHA-256 digests), how often (a token bucket),
// how many chains at once, and how much money per period — the last two enforced by reservation,
// so that concurrent requests can never overspend: a request reserves its worst case before it
// runs and gives back what it did not spend when it finishes.
//
// Thread-safe: every Tenant has its own mutex; the registry is immutable after construction.
// Times are passed in so tests can drive the clock.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/token_bucket.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "ptc/v1/config.pb.h"

namespace ptc {

class Tenant {
 public:
  struct Usage {
    uint32_t chains_in_flight = 0;
    double reserved_usd = 0;  // outstanding reservations
    double spent_usd = 0;     // spent in the current period
    int64_t period = 0;       // index of the current period since the Unix epoch
  };

  // `config` is validated (see ValidateTenants).
  Tenant(const v1::TenantConfig& config, absl::Time now);

  const std::string& name() const { return config_.name(); }
  const v1::TenantConfig& config() const { return config_; }
  bool AllowsBackend(absl::string_view backend) const;

  // Takes one request from the rate limit; RESOURCE_EXHAUSTED saying when to retry if empty.
  absl::Status TakeRequest(absl::Time now);
  // What a new request may still reserve in the current period (+inf without a budget).
  double AvailableUsd(absl::Time now);
  // Reserves `chains` chains in flight and `usd` of the period's budget, both or neither;
  // RESOURCE_EXHAUSTED naming the limit when either does not fit.
  absl::Status Reserve(uint32_t chains, double usd, absl::Time now);
  // Gives back a reservation and charges what the request actually spent to the current period.
  void Release(uint32_t chains, double reserved_usd, double spent_usd, absl::Time now);
  Usage usage(absl::Time now);

 private:
  int64_t PeriodOf(absl::Time t) const;
  void Roll(absl::Time now);  // call with mu_ held
  absl::Duration UntilNextPeriod(absl::Time now) const;

  const v1::TenantConfig config_;
  std::mutex mu_;  // guards everything below
  TokenBucket bucket_;
  Usage usage_;
};

class TenantRegistry {
 public:
  // The name of the tenant every call belongs to when no tenant is configured.
  static constexpr absl::string_view kOpenTenant = "default";

  // With no tenants the registry is open: every call is the unlimited tenant "default".
  TenantRegistry(const google::protobuf::RepeatedPtrField<v1::TenantConfig>& tenants,
                 absl::Time now);

  bool open() const { return open_; }
  // The tenant whose key the call gives: `x_api_key` (metadata "x-api-key") or `authorization`
  // ("Bearer KEY"); empty when absent. UNAUTHENTICATED when no key is given or it is unknown
  // (the message never repeats the key).
  absl::StatusOr<Tenant*> Authenticate(absl::string_view x_api_key,
                                       absl::string_view authorization) const;
  const std::vector<std::unique_ptr<Tenant>>& tenants() const { return tenants_; }

 private:
  bool open_;
  std::vector<std::unique_ptr<Tenant>> tenants_;
  absl::flat_hash_map<std::string, Tenant*> by_key_digest_;
};

// Validates `tenants` and `admission` of a server config; errors name the field
// ("tenants[1].api_key_sha256[0]: ..."). Defaults are applied by WithAdmissionDefaults first.
absl::Status ValidateTenants(const google::protobuf::RepeatedPtrField<v1::TenantConfig>& tenants);
absl::Status ValidateAdmission(const v1::AdmissionConfig& admission);
void WithAdmissionDefaults(v1::ServerConfig& config);

}  // namespace ptc
