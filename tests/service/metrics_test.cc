// Metrics on their own: label values stay bounded, and each family shows what was recorded.
#include "service/metrics.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Page(const Metrics& m) {
  return prometheus::TextSerializer().Serialize(m.registry()->Collect());
}

TEST(MetricsTest, ExperimentsBeyondTheLimitFoldIntoOther) {
  Metrics m(/*max_experiment_labels=*/2);
  m.Graded("majority", "a", 4, true);
  m.Graded("majority", "b", 4, true);
  m.Graded("majority", "c", 4, false);
  m.Graded("majority", "a", 4, false);  // a known label stays itself
  m.Graded("majority", "", 4, true);    // empty is "none", not a new label
  const std::string page = Page(m);
  EXPECT_THAT(page, HasSubstr("experiment=\"a\",n=\"4\",result=\"correct\""));
  EXPECT_THAT(page, HasSubstr("experiment=\"a\",n=\"4\",result=\"incorrect\""));
  EXPECT_THAT(page, HasSubstr("experiment=\"b\",n=\"4\",result=\"correct\""));
  EXPECT_THAT(page, HasSubstr("experiment=\"other\",n=\"4\",result=\"incorrect\""));
  EXPECT_THAT(page, HasSubstr("experiment=\"none\",n=\"4\",result=\"correct\""));
  EXPECT_THAT(page, Not(HasSubstr("experiment=\"c\"")));
}

TEST(MetricsTest, CircuitStateIsOneForTheCurrentStateOnly) {
  Metrics m;
  m.CircuitState("vllm", "http://10.0.0.5:8000/v1", "closed");
  m.CircuitState("vllm", "http://10.0.0.5:8000/v1", "open");
  const std::string page = Page(m);
  const std::string labels = "backend=\"vllm\",endpoint=\"http://10.0.0.5:8000/v1\",state=";
  EXPECT_THAT(page, HasSubstr("ptc_backend_circuit_state{" + labels + "\"open\"} 1"));
  EXPECT_THAT(page, HasSubstr("ptc_backend_circuit_state{" + labels + "\"closed\"} 0"));
  EXPECT_THAT(page, HasSubstr("ptc_backend_circuit_state{" + labels + "\"half_open\"} 0"));
}

TEST(MetricsTest, NLabelIsAPowerOfTwoRoundedUpAndBounded) {
  EXPECT_EQ(Metrics::NLabel(0), "0");
  EXPECT_EQ(Metrics::NLabel(1), "1");
  EXPECT_EQ(Metrics::NLabel(2), "2");
  EXPECT_EQ(Metrics::NLabel(3), "4");
  EXPECT_EQ(Metrics::NLabel(40), "64");
  EXPECT_EQ(Metrics::NLabel(64), "64");
  EXPECT_EQ(Metrics::NLabel(1024), "1024");
  EXPECT_EQ(Metrics::NLabel(1025), "more");
  EXPECT_EQ(Metrics::NLabel(4000000000u), "more");
}

TEST(MetricsTest, BudgetRejectionsAreTheResourceExhaustedRefusals) {
  Metrics m;
  m.RequestRejected("INVALID_ARGUMENT");
  m.RequestRejected("RESOURCE_EXHAUSTED");
  m.RequestRejected("RESOURCE_EXHAUSTED");
  const std::string page = Page(m);
  EXPECT_THAT(page, HasSubstr("ptc_budget_rejections_total 2"));
  EXPECT_THAT(page, HasSubstr("ptc_requests_total{code=\"INVALID_ARGUMENT\",strategy=\"none\"} 1"));
}

TEST(MetricsTest, BackendErrorsByCode) {
  Metrics m;
  m.BackendError("api", absl::UnavailableError("connection refused"));
  m.BackendError("api", absl::UnavailableError("reset"));
  m.BackendError("api", absl::DeadlineExceededError("slow"));
  const std::string page = Page(m);
  EXPECT_THAT(page, HasSubstr("ptc_backend_errors_total{backend=\"api\",code=\"UNAVAILABLE\"} 2"));
  EXPECT_THAT(page,
              HasSubstr("ptc_backend_errors_total{backend=\"api\",code=\"DEADLINE_EXCEEDED\"} 1"));
}

v1::SolveResponse Response() {
  v1::SolveResponse r;
  r.set_strategy("majority");
  r.set_answer("B");
  auto* b = r.add_candidates();
  b->set_answer("B");
  b->set_votes(3);
  b->set_share(0.75);
  auto* a = r.add_candidates();
  a->set_answer("A");
  a->set_votes(1);
  a->set_share(0.25);
  r.mutable_ledger()->set_cost_usd(0.5);
  r.mutable_ledger()->set_chains_planned(6);
  r.mutable_ledger()->set_chains_dropped_for_budget(1);
  r.mutable_stop()->set_rule("esc");
  r.mutable_stop()->set_stopped_early(true);
  for (int i = 0; i < 5; ++i) {
    auto* c = r.add_chains();
    c->set_backend("sim");
    c->set_status(i == 4 ? v1::CHAIN_STATUS_FAILED : v1::CHAIN_STATUS_OK);
    c->set_parseable(i < 3 || i == 4);  // one OK chain unparseable; a failed one is not counted
  }
  // Other backends, between and after: each counted on its own, a healthy one at 0.
  for (const char* backend : {"vllm", "healthy", "vllm", "sim"}) {
    auto* c = r.add_chains();
    c->set_backend(backend);
    c->set_status(v1::CHAIN_STATUS_OK);
    c->set_parseable(std::string_view(backend) == "healthy");
  }
  return r;
}

TEST(MetricsTest, RunFinishedRecordsAgreementSpendUnparseableAndStops) {
  Metrics m;
  m.RunFinished("exp", Response());
  m.RunFinished("exp", Response());
  const std::string page = Page(m);
  // The winner's share is 0.75: in the 0.8 bucket and above, not in the 0.7 one.
  EXPECT_THAT(page,
              HasSubstr("ptc_vote_agreement_ratio_bucket{strategy=\"majority\",le=\"0.7\"} 0"));
  EXPECT_THAT(page,
              HasSubstr("ptc_vote_agreement_ratio_bucket{strategy=\"majority\",le=\"0.8\"} 2"));
  EXPECT_THAT(page, HasSubstr("ptc_vote_agreement_ratio_sum{strategy=\"majority\"} 1.5"));
  EXPECT_THAT(
      page,
      HasSubstr(
          "ptc_experiment_cost_usd_total{experiment=\"exp\",n=\"8\",strategy=\"majority\"} 1"));
  EXPECT_THAT(
      page,
      HasSubstr(
          "ptc_experiment_requests_total{experiment=\"exp\",n=\"8\",strategy=\"majority\"} 2"));
  EXPECT_THAT(page, HasSubstr("ptc_unparseable_answers_total{backend=\"sim\"} 4"));
  EXPECT_THAT(page, HasSubstr("ptc_unparseable_answers_total{backend=\"vllm\"} 4"));
  EXPECT_THAT(page, HasSubstr("ptc_unparseable_answers_total{backend=\"healthy\"} 0"));
  EXPECT_THAT(page, HasSubstr("ptc_early_stops_total{rule=\"esc\"} 2"));
  EXPECT_THAT(page, HasSubstr("ptc_chains_dropped_for_budget_total 2"));
}

TEST(MetricsTest, NoAgreementWithoutAnAnswer) {
  Metrics m;
  v1::SolveResponse r = Response();
  r.clear_answer();
  m.RunFinished("exp", r);
  EXPECT_THAT(Page(m), Not(HasSubstr("ptc_vote_agreement_ratio_count")));
}

}  // namespace
}  // namespace ptc
