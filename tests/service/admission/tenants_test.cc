#include "service/admission/tenants.h"

#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(86400 * 100 + 10);  // 10 s into a day

v1::TenantConfig Config(const std::string& name, const std::string& key) {
  v1::TenantConfig t;
  t.set_name(name);
  t.add_api_key_sha256(Sha256Hex(key));
  t.set_budget_period_s(86400);
  return t;
}

google::protobuf::RepeatedPtrField<v1::TenantConfig> Two() {
  google::protobuf::RepeatedPtrField<v1::TenantConfig> ts;
  *ts.Add() = Config("alpha", "key-alpha-1");
  ts[0].add_api_key_sha256(Sha256Hex("key-alpha-2"));
  *ts.Add() = Config("beta", "key-beta");
  return ts;
}

TEST(TenantRegistryTest, OpenWithoutTenants) {
  TenantRegistry r({}, kT0);
  EXPECT_TRUE(r.open());
  auto t = r.Authenticate("", "");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->name(), "default");
}

TEST(TenantRegistryTest, KeysMapToTenants) {
  TenantRegistry r(Two(), kT0);
  EXPECT_FALSE(r.open());
  EXPECT_EQ((*r.Authenticate("key-alpha-1", ""))->name(), "alpha");
  EXPECT_EQ((*r.Authenticate("key-alpha-2", ""))->name(), "alpha");
  EXPECT_EQ((*r.Authenticate("", "Bearer key-beta"))->name(), "beta");
  // x-api-key wins over authorization.
  EXPECT_EQ((*r.Authenticate("key-beta", "Bearer key-alpha-1"))->name(), "beta");
}

TEST(TenantRegistryTest, MissingOrWrongKeysAreUnauthenticatedWithoutEchoingTheKey) {
  TenantRegistry r(Two(), kT0);
  auto none = r.Authenticate("", "");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(none.status().message(), HasSubstr("missing API key"));
  auto wrong = r.Authenticate("sk-secret-guess", "");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(wrong.status().message(), Not(HasSubstr("sk-secret-guess")));
  auto basic = r.Authenticate("", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(basic.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(basic.status().message(), Not(HasSubstr("dXNlcjpwYXNz")));
  // The digest itself is not a key.
  EXPECT_FALSE(r.Authenticate(Sha256Hex("key-beta"), "").ok());
}

TEST(TenantTest, RateLimitSaysWhenToRetry) {
  v1::TenantConfig c = Config("t", "k");
  c.set_requests_per_second(1);
  c.set_burst(2);
  Tenant t(c, kT0);
  EXPECT_TRUE(t.TakeRequest(kT0).ok());
  EXPECT_TRUE(t.TakeRequest(kT0).ok());
  absl::Status s = t.TakeRequest(kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("rate limit of 1/s"));
  EXPECT_THAT(s.message(), HasSubstr("retry in 1001 ms"));
  EXPECT_TRUE(t.TakeRequest(kT0 + absl::Seconds(1)).ok());
}

TEST(TenantTest, BudgetIsReservedThenChargedWithWhatWasSpent) {
  v1::TenantConfig c = Config("t", "k");
  c.set_budget_usd(1.0);
  Tenant t(c, kT0);
  EXPECT_DOUBLE_EQ(t.AvailableUsd(kT0), 1.0);
  ASSERT_TRUE(t.Reserve(4, 0.6, kT0).ok());
  EXPECT_DOUBLE_EQ(t.AvailableUsd(kT0), 0.4);
  absl::Status s = t.Reserve(4, 0.5, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("spend budget"));
  // Neither part of a refused reservation is kept.
  EXPECT_EQ(t.usage(kT0).chains_in_flight, 4u);
  t.Release(4, 0.6, 0.25, kT0);
  Tenant::Usage u = t.usage(kT0);
  EXPECT_EQ(u.chains_in_flight, 0u);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0.25);
  EXPECT_DOUBLE_EQ(t.AvailableUsd(kT0), 0.75);
}

TEST(TenantTest, SpendResetsEachPeriodButReservationsCarryOver) {
  v1::TenantConfig c = Config("t", "k");
  c.set_budget_usd(1.0);
  c.set_budget_period_s(60);
  const absl::Time start = absl::FromUnixSeconds(6000);  // a period boundary
  Tenant t(c, start);
  ASSERT_TRUE(t.Reserve(1, 0.5, start).ok());
  t.Release(1, 0.5, 0.5, start);
  ASSERT_TRUE(t.Reserve(1, 0.3, start + absl::Seconds(59)).ok());
  EXPECT_FALSE(t.Reserve(1, 0.3, start + absl::Seconds(59)).ok());
  // New period: the spend is gone, the open reservation still counts.
  const absl::Time next = start + absl::Seconds(60);
  EXPECT_DOUBLE_EQ(t.AvailableUsd(next), 0.7);
  t.Release(1, 0.3, 0.1, next);  // charged to the period it finishes in
  EXPECT_DOUBLE_EQ(t.usage(next).spent_usd, 0.1);
  EXPECT_DOUBLE_EQ(t.AvailableUsd(next), 0.9);
}

TEST(TenantTest, ChainsInFlightLimit) {
  v1::TenantConfig c = Config("t", "k");
  c.set_max_chains_in_flight(10);
  Tenant t(c, kT0);
  ASSERT_TRUE(t.Reserve(8, 0, kT0).ok());
  absl::Status s = t.Reserve(3, 0, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("8 chains in flight, this request plans 3, the limit is 10"));
  EXPECT_TRUE(t.Reserve(2, 0, kT0).ok());
}

TEST(TenantTest, AllowedBackends) {
  v1::TenantConfig c = Config("t", "k");
  EXPECT_TRUE(Tenant(c, kT0).AllowsBackend("anything"));
  c.add_allowed_backends("sim");
  Tenant t(c, kT0);
  EXPECT_TRUE(t.AllowsBackend("sim"));
  EXPECT_FALSE(t.AllowsBackend("openai"));
}

TEST(ValidateTenantsTest, NamesTheField) {
  auto ts = Two();
  EXPECT_TRUE(ValidateTenants(ts).ok());
  auto bad = ts;
  bad[1].set_api_key_sha256(0, "sk-live-plaintext-key");
  absl::Status s = ValidateTenants(bad);
  EXPECT_THAT(s.message(), HasSubstr("tenants[1].api_key_sha256[0]: not a SHA-256 digest"));
  EXPECT_THAT(s.message(), Not(HasSubstr("sk-live")));
  bad = ts;
  bad[1].set_name("alpha");
  EXPECT_THAT(ValidateTenants(bad).message(), HasSubstr("tenants[1].name: duplicate"));
  bad = ts;
  bad[1].set_api_key_sha256(0, ts[0].api_key_sha256(0));
  EXPECT_THAT(ValidateTenants(bad).message(), HasSubstr("listed twice"));
  bad = ts;
  bad[0].clear_api_key_sha256();
  EXPECT_THAT(ValidateTenants(bad).message(), HasSubstr("tenants[0].api_key_sha256: at least"));
  bad = ts;
  bad[0].set_budget_usd(-1);
  EXPECT_THAT(ValidateTenants(bad).message(), HasSubstr("tenants[0].budget_usd"));
  bad = ts;
  bad[0].set_burst(5);
  EXPECT_THAT(ValidateTenants(bad).message(), HasSubstr("tenants[0].burst: needs"));
}

}  // namespace
}  // namespace ptc
