// Tenants and admission through the real gRPC server on the embedded simulated backends: API
// keys, permissions, rate and chain limits, spend budgets under concurrency, and the server-wide
// admission queue.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/mcq_dataset.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/config.h"
#include "service/server.h"
#include "tests/service/server_test_util.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_util::AddSim;
using testing_util::AsyncCall;
using testing_util::Eventually;

v1::TenantConfig* AddTenant(v1::ServerConfig* c, const std::string& name) {
  v1::TenantConfig* t = c->add_tenants();
  t->set_name(name);
  t->add_api_key_sha256(Sha256Hex(name + "-key"));
  return t;
}

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.set_listen("127.0.0.1:0");
    config_.set_metrics_listen("off");
    config_.set_worker_threads(2);
    AddSim(&config_, "fast", 0.001);
    AddSim(&config_, "jittery", 0.02);  // chains finish in a different order than launched
    AddSim(&config_, "slow", 500);      // chains that do not finish within a test
    auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
    ASSERT_TRUE(questions.ok()) << questions.status();
    question_ = (*questions)[0];
  }

  void StartServer() { testing_util::StartServer(config_, &server_, &stub_); }

  void TearDown() override {
    if (!server_) return;
    EXPECT_TRUE(server_->service().WaitForIdle(absl::Seconds(60)));
    EXPECT_EQ(server_->metrics().chains_in_flight(), 0);
    EXPECT_EQ(server_->service().gatekeeper().admission().chains_in_flight(), 0u);
    EXPECT_EQ(server_->service().gatekeeper().admission().queued(), 0u);
    for (const auto& t : server_->service().gatekeeper().tenants().tenants()) {
      Tenant::Usage u = t->usage(absl::Now());
      EXPECT_EQ(u.chains_in_flight, 0u) << t->name();
      EXPECT_EQ(u.reserved_usd, 0) << t->name();
    }
    server_->Shutdown();
  }

  v1::SolveRequest Request(const std::string& backend, uint32_t n, uint32_t max_tokens = 1024) {
    v1::SolveRequest r = testing_util::McqRequest(question_, 1, backend, n, 7);
    r.clear_reference_answer();  // as before: these requests carry none
    r.mutable_sampling(0)->set_max_tokens(max_tokens);
    return r;
  }

  grpc::Status Solve(const v1::SolveRequest& r, const std::string& key,
                     v1::SolveResponse* out = nullptr, int deadline_ms = 60000) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    if (!key.empty()) ctx.AddMetadata("x-api-key", key);
    v1::SolveResponse ignored;
    return stub_->Solve(&ctx, r, out ? out : &ignored);
  }

  std::unique_ptr<AsyncCall> SolveAsync(const v1::SolveRequest& r, const std::string& key,
                                        int deadline_ms = 60000) {
    return testing_util::SolveAsync(*stub_, r, std::chrono::milliseconds(deadline_ms), key);
  }

  Tenant& TenantNamed(const std::string& name) {
    for (const auto& t : server_->service().gatekeeper().tenants().tenants()) {
      if (t->name() == name) return *t;
    }
    ADD_FAILURE() << "no tenant " << name;
    std::abort();
  }

  v1::ServerConfig config_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
  McqQuestion question_;
};

TEST_F(AccessTest, WithoutTenantsTheServerIsOpen) {
  StartServer();
  EXPECT_TRUE(Solve(Request("fast", 2), "").ok());
  EXPECT_TRUE(Solve(Request("fast", 2), "any-key-is-ignored").ok());
}

TEST_F(AccessTest, KeysAreRequiredAndChecked) {
  AddTenant(&config_, "alpha");
  StartServer();
  grpc::Status none = Solve(Request("fast", 1), "");
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("missing API key"));
  grpc::Status wrong = Solve(Request("fast", 1), "sk-wrong-guess");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.error_message(), Not(HasSubstr("sk-wrong-guess")));
  EXPECT_TRUE(Solve(Request("fast", 1), "alpha-key").ok());
  // Counted by code, under no tenant's name; no key appears in any label.
  std::string labels;
  double unauthenticated = 0;
  for (const auto& family : server_->metrics().registry()->Collect()) {
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) labels += l.value + " ";
      if (family.name != "ptc_access_rejected_total") continue;
      if (m.label.size() == 2 && m.label[0].value == "UNAUTHENTICATED" &&
          m.label[1].value == "unknown") {
        unauthenticated += m.counter.value;
      }
    }
  }
  EXPECT_EQ(unauthenticated, 2);
  EXPECT_THAT(labels, Not(HasSubstr("key")));
  // authorization: Bearer works as well.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer alpha-key");
  v1::SolveResponse r;
  EXPECT_TRUE(stub_->Solve(&ctx, Request("fast", 1), &r).ok());
  // A stream is checked the same way.
  grpc::ClientContext sctx;
  auto reader = stub_->SolveStream(&sctx, Request("fast", 1));
  v1::SolveEvent e;
  while (reader->Read(&e)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, BackendsOutsideTheTenantsListArePermissionDenied) {
  AddTenant(&config_, "alpha")->add_allowed_backends("fast");
  StartServer();
  EXPECT_TRUE(Solve(Request("fast", 1), "alpha-key").ok());
  grpc::Status s = Solve(Request("jittery", 1), "alpha-key");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("may not use backend \"jittery\" (allowed: fast)"));
}

TEST_F(AccessTest, RequestRateLimit) {
  v1::TenantConfig* t = AddTenant(&config_, "alpha");
  t->set_requests_per_second(0.001);  // one per 1000 s after the burst
  t->set_burst(2);
  StartServer();
  EXPECT_TRUE(Solve(Request("fast", 1), "alpha-key").ok());
  EXPECT_TRUE(Solve(Request("fast", 1), "alpha-key").ok());
  grpc::Status s = Solve(Request("fast", 1), "alpha-key");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("request rate limit"));
}

TEST_F(AccessTest, BudgetShrinksThePlanThenIsExhausted) {
  v1::TenantConfig* t = AddTenant(&config_, "alpha");
  t->set_budget_usd(0.05);  // about three chains' worst case (1024 tokens at $15/M ≈ $0.016)
  StartServer();
  v1::SolveResponse first;
  ASSERT_TRUE(Solve(Request("fast", 8), "alpha-key", &first).ok());
  EXPECT_GT(first.ledger().chains_dropped_for_budget(), 0u);
  EXPECT_LE(first.ledger().reserved_cost_usd(), 0.05);
  double spent = first.ledger().cost_usd();
  grpc::Status last;
  int ok = 1;
  for (int i = 0; i < 20; ++i) {
    v1::SolveResponse r;
    last = Solve(Request("fast", 8), "alpha-key", &r);
    if (!last.ok()) break;
    ++ok;
    spent += r.ledger().cost_usd();
  }
  EXPECT_EQ(last.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(last.error_message(), HasSubstr("tenant \"alpha\": its spend budget has $"));
  EXPECT_LE(spent, 0.05 + 1e-12);
  EXPECT_NEAR(TenantNamed("alpha").usage(absl::Now()).spent_usd, spent, 1e-12);
}

TEST_F(AccessTest, TenantChainsInFlightLimit) {
  AddTenant(&config_, "alpha")->set_max_chains_in_flight(8);
  StartServer();
  auto slow = SolveAsync(Request("slow", 8), "alpha-key");
  ASSERT_TRUE(
      Eventually([&] { return TenantNamed("alpha").usage(absl::Now()).chains_in_flight == 8; }));
  grpc::Status s = Solve(Request("fast", 1), "alpha-key");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("8 chains in flight"));
  slow->ctx.TryCancel();
  slow->done.WaitForNotification();
  EXPECT_EQ(slow->status.error_code(), grpc::StatusCode::CANCELLED);
  // The client hears CANCELLED at once; the server gives the chains back when they have stopped.
  ASSERT_TRUE(
      Eventually([&] { return TenantNamed("alpha").usage(absl::Now()).chains_in_flight == 0; }));
  EXPECT_TRUE(Solve(Request("fast", 1), "alpha-key").ok());
}

TEST_F(AccessTest, FullServerQueuesThenRefusesAtOnce) {
  config_.mutable_admission()->set_max_chains_in_flight(8);
  config_.mutable_admission()->set_max_queued_requests(1);
  StartServer();
  auto& admission = server_->service().gatekeeper().admission();
  auto slow = SolveAsync(Request("slow", 8), "");
  ASSERT_TRUE(Eventually([&] { return admission.chains_in_flight() == 8; }));
  auto queued = SolveAsync(Request("fast", 2), "");
  ASSERT_TRUE(Eventually([&] { return admission.queued() == 1; }));
  grpc::Status refused = Solve(Request("fast", 1), "");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("server busy"));
  // A request the server could never hold is refused too, not queued.
  EXPECT_THAT(Solve(Request("fast", 9), "").error_message(), HasSubstr("at most 8 chains"));
  EXPECT_FALSE(queued->done.HasBeenNotified());
  // Room frees up: the queued request runs.
  slow->ctx.TryCancel();
  slow->done.WaitForNotification();
  queued->done.WaitForNotification();
  EXPECT_TRUE(queued->status.ok()) << queued->status.error_message();
  EXPECT_EQ(queued->response.chains_size(), 2);
}

TEST_F(AccessTest, QueuedRequestsEndAtTheirDeadlineOrCancel) {
  config_.mutable_admission()->set_max_chains_in_flight(4);
  StartServer();
  auto& admission = server_->service().gatekeeper().admission();
  auto slow = SolveAsync(Request("slow", 4), "");
  ASSERT_TRUE(Eventually([&] { return admission.chains_in_flight() == 4; }));
  grpc::Status late = Solve(Request("fast", 1), "", nullptr, /*deadline_ms=*/200);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto cancelled = SolveAsync(Request("fast", 1), "");
  ASSERT_TRUE(Eventually([&] { return admission.queued() == 1; }));
  cancelled->ctx.TryCancel();
  cancelled->done.WaitForNotification();
  EXPECT_EQ(cancelled->status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return admission.queued() == 0; }));
  slow->ctx.TryCancel();
  slow->done.WaitForNotification();
}

// Issue 5's budget test: many concurrent requests, chains finishing out of order, one cap.
TEST_F(AccessTest, HundredConcurrentRequestsNeverExceedTheirCap) {
  const double cap = 0.5;
  AddTenant(&config_, "alpha")->set_budget_usd(cap);
  StartServer();
  std::vector<std::unique_ptr<AsyncCall>> calls;
  for (int i = 0; i < 100; ++i) calls.push_back(SolveAsync(Request("jittery", 4), "alpha-key"));
  double spent = 0;
  int ok = 0, refused = 0, out_of_order = 0;
  for (auto& c : calls) {
    c->done.WaitForNotification();
    if (c->status.ok()) {
      ++ok;
      spent += c->response.ledger().cost_usd();
      EXPECT_LE(c->response.ledger().cost_usd(), c->response.ledger().reserved_cost_usd());
      const auto& chains = c->response.chains();
      for (int k = 1; k < chains.size(); ++k) {
        if (chains[k].started_at_s() + chains[k].duration_s() <
            chains[k - 1].started_at_s() + chains[k - 1].duration_s()) {
          ++out_of_order;
          break;
        }
      }
    } else {
      ASSERT_EQ(c->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << c->status.error_message();
      ++refused;
    }
  }
  std::printf(
      "100 requests under a $%.2f cap: %d answered, %d refused, $%.6f spent, %d with "
      "chains finishing out of order\n",
      cap, ok, refused, spent, out_of_order);
  EXPECT_LE(spent, cap + 1e-12);
  EXPECT_NEAR(TenantNamed("alpha").usage(absl::Now()).spent_usd, spent, 1e-9);
  // Not vacuous: the cap bound (requests were refused), work was done, and chains finished out
  // of plan order.
  EXPECT_GT(refused, 0);
  EXPECT_GE(ok, 5);
  EXPECT_GT(out_of_order, 0);
}

// Issue 8's budget race: 500 concurrent requests from one tenant at the edge of its budget.
TEST_F(AccessTest, FiveHundredRequestsAtTheEdgeOfTheBudgetNeverOverspend) {
  const double budget = 0.2;
  AddTenant(&config_, "alpha")->set_budget_usd(budget);
  StartServer();
  // Spend most of the budget first, so the race is for the last few chains' worth.
  double spent = 0;
  while (TenantNamed("alpha").AvailableUsd(absl::Now()) > 0.05) {
    v1::SolveResponse r;
    ASSERT_TRUE(Solve(Request("fast", 2), "alpha-key", &r).ok());
    spent += r.ledger().cost_usd();
  }
  std::vector<std::unique_ptr<AsyncCall>> calls;
  for (int i = 0; i < 500; ++i) calls.push_back(SolveAsync(Request("fast", 2), "alpha-key"));
  int ok = 0, refused = 0;
  for (auto& c : calls) {
    c->done.WaitForNotification();
    if (c->status.ok()) {
      ++ok;
      spent += c->response.ledger().cost_usd();
    } else {
      ASSERT_EQ(c->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << c->status.error_message();
      ++refused;
    }
  }
  std::printf("500 requests at the edge of a $%.2f budget: %d answered, %d refused, $%.6f spent\n",
              budget, ok, refused, spent);
  EXPECT_LE(spent, budget + 1e-12);
  EXPECT_NEAR(TenantNamed("alpha").usage(absl::Now()).spent_usd, spent, 1e-9);
  EXPECT_GE(ok, 1);
  EXPECT_GE(refused, 400);
}

}  // namespace
}  // namespace ptc
