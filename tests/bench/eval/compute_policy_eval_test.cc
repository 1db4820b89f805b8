// The auto compute policy against fixed N on the bundled GPQA-style sample, end to end through the
// in-process server on the simulated model, with fixed seeds. The simulated questions are a mix
// of easy and hard ones (per-question accuracy from a U-shaped Beta prior, sim_model.h): a probe
// of a few chains settles the easy ones, and the chains saved there go to the contested ones.
#include <cstdio>
#include <string>
#include <vector>

#include "bench/eval/eval_runner.h"
#include "common/mcq_dataset.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "service/config.h"
#include "service/server.h"
#include "tests/bench/eval/eval_test_util.h"

namespace ptc::eval {
namespace {

using testing_util::FastSim;
using testing_util::Mean;
using testing_util::PairedDiffCi;
using testing_util::StartServer;

constexpr int kRepeats = 3;

struct Point {
  std::string name;
  double accuracy = 0, cost = 0, chains = 0;
  std::vector<double> scores;  // per question, mean over repeats
};

Point Summarise(const std::string& name, const std::vector<RequestResult>& results,
                size_t questions) {
  Point p{name, 0, 0, 0, std::vector<double>(questions, 0)};
  for (const RequestResult& r : results) {
    EXPECT_TRUE(r.ok) << r.error;
    p.scores[r.question] += r.correct ? 1.0 / kRepeats : 0;
    p.cost += r.cost_usd / results.size();
    p.chains += static_cast<double>(r.chains) / results.size();
  }
  for (double s : p.scores) p.accuracy += s / questions;
  return p;
}

Interval PairedDiffCi(const Point& a, const Point& b) {
  return testing_util::PairedDiffCi(a.scores, b.scores);
}

TEST(ComputePolicyEvalTest, AutoBeatsTheBestFixedNAtEqualOrLowerCost) {
  std::unique_ptr<Server> server;
  std::unique_ptr<v1::Orchestrator::Stub> stub;
  ASSERT_NO_FATAL_FAILURE(StartServer(FastSim(), &server, &stub));
  auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
  ASSERT_TRUE(questions.ok()) << questions.status();
  const size_t q = questions->size();

  EvalOptions options;
  options.repeats = kRepeats;
  options.max_in_flight = 32;
  options.ns = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};
  auto fixed = RunEval(*stub, *questions, options);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  std::vector<Point> fixed_points;
  for (size_t i = 0; i < options.ns.size(); ++i) {
    fixed_points.push_back(Summarise(absl::StrCat("fixed N=", options.ns[i]), fixed->by_n[i], q));
  }

  std::vector<Point> auto_points;
  for (uint32_t probe : {3u, 4u}) {
    for (uint32_t n : {8u, 16u, 32u}) {
      EvalOptions a = options;
      a.ns = {n};
      a.compute.mutable_auto_()->set_probe(probe);
      auto r = RunEval(*stub, *questions, a);
      ASSERT_TRUE(r.ok()) << r.status();
      auto_points.push_back(
          Summarise(absl::StrCat("auto probe=", probe, " max N=", n), r->by_n[0], q));
    }
  }
  server->Shutdown();

  std::printf("%-24s %9s %9s %8s\n", "series", "accuracy", "$/q", "chains");
  for (const auto* v : {&fixed_points, &auto_points}) {
    for (const Point& p : *v) {
      std::printf("%-24s %9.4f %9.5f %8.2f\n", p.name.c_str(), p.accuracy, p.cost, p.chains);
    }
  }
  for (const Point& a : auto_points) {
    // The best fixed N that costs no more than auto.
    const Point* best = nullptr;
    for (const Point& f : fixed_points) {
      if (f.cost <= a.cost && (best == nullptr || f.accuracy > best->accuracy)) best = &f;
    }
    ASSERT_NE(best, nullptr) << a.name;
    const Interval ci = PairedDiffCi(a, *best);
    std::printf("%s - %s: %+.4f, paired 95%% CI [%+.4f, %+.4f]\n", a.name.c_str(),
                best->name.c_str(), a.accuracy - best->accuracy, ci.low, ci.high);
    // Every auto setting is at least as accurate as the best fixed N it costs no less than.
    EXPECT_GE(a.accuracy, best->accuracy) << a.name << " vs " << best->name;
  }
  // With a probe of 3 and at most 8 chains it beats fixed N = 4 (which costs less than it, the
  // best that does) beyond the paired bootstrap interval over questions.
  const Point& small = auto_points[0];
  const Interval ci = PairedDiffCi(small, fixed_points[3]);
  EXPECT_LE(fixed_points[3].cost, small.cost);
  EXPECT_GT(ci.low, 0) << small.name << " - " << fixed_points[3].name;
  // And with up to 32 chains it matches fixed N = 32 at under half the cost.
  const Point& wide = auto_points[2];
  EXPECT_GE(wide.accuracy, fixed_points.back().accuracy);
  EXPECT_LT(wide.cost, fixed_points.back().cost / 2);
}

}  // namespace
}  // namespace ptc::eval
