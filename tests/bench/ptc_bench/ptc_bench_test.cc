// ptc-bench's parts: statistics, the open- and closed-loop drivers, child processes, the targets
// table's verdicts, and a short
// end-to-end run against ptc-server and the fake backend whose results must be sane.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/ptc_bench/child_process.h"
#include "bench/ptc_bench/load.h"
#include "bench/ptc_bench/measures.h"
#include "bench/ptc_bench/report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptc::bench {
namespace {

TEST(StatsTest, PercentileIsNearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 0.5), 50);
  EXPECT_EQ(Percentile(v, 0.99), 99);
  EXPECT_EQ(Percentile(v, 1.0), 100);
  EXPECT_EQ(Percentile(v, 0.0), 1);
  EXPECT_TRUE(std::isnan(Percentile({}, 0.5)));
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 2, 3}), 2.5);
}

// Completes each call on a worker thread after `delay`; every fifth fails when asked.
class DelayTarget : public Target {
 public:
  explicit DelayTarget(std::chrono::microseconds delay, bool fail_some = false)
      : delay_(delay), fail_some_(fail_some) {}
  ~DelayTarget() override {
    for (std::thread& t : threads_) t.join();
  }
  void Start(size_t index, Clock::time_point scheduled, Recorder& rec) override {
    started_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, index, scheduled, &rec] {
      std::this_thread::sleep_for(delay_);
      const bool fail = fail_some_ && index % 5 == 0;
      rec.Done(index, scheduled, !fail, fail ? "failed on purpose" : "");
    });
  }
  std::atomic<int> started_{0};

 private:
  const std::chrono::microseconds delay_;
  const bool fail_some_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST(LoadTest, OpenLoopSendsOnScheduleAndMeasuresFromIt) {
  DelayTarget target(std::chrono::milliseconds(2), true);
  OpenLoopOptions o;
  o.rate = 500;
  o.duration_s = 0.4;
  const auto start = Clock::now();
  const LoadResult r = RunOpenLoop(target, o);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(r.issued, 200u);
  EXPECT_EQ(target.started_.load(), 200);
  EXPECT_EQ(r.errors, 40u);
  EXPECT_EQ(r.ok, 160u);
  EXPECT_EQ(r.first_error, "failed on purpose");
  EXPECT_TRUE(r.drained);
  EXPECT_GT(took, 0.3);  // Poisson arrivals over 0.4 s
  for (double l : r.latencies_s) EXPECT_GE(l, 0.002);
  // Measured from the schedule, so never below the target's delay; the upper bound only catches a
  // gross error (seconds), not a slow machine.
  EXPECT_LT(Percentile(r.latencies_s, 0.5), 2.0);
}

TEST(LoadTest, FixedIntervalArrivals) {
  DelayTarget target(std::chrono::microseconds(100));
  OpenLoopOptions o;
  o.rate = 200;
  o.duration_s = 0.25;
  o.poisson = false;
  const auto start = Clock::now();
  const LoadResult r = RunOpenLoop(target, o);
  EXPECT_EQ(r.ok, 50u);
  // The last call is sent at 49 / 200 s.
  EXPECT_GE(std::chrono::duration<double>(Clock::now() - start).count(), 0.245);
}

// Completes each call shortly after, on a thread of its own: the closed loop must keep at most
// `concurrency` calls going.
class InlineTarget : public Target {
 public:
  void Start(size_t index, Clock::time_point scheduled, Recorder& rec) override {
    const int now = in_flight_.fetch_add(1) + 1;
    int seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    std::thread([this, index, scheduled, &rec] {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      in_flight_.fetch_sub(1);
      rec.Done(index, scheduled, true);
    }).detach();
  }
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

TEST(LoadTest, ClosedLoopKeepsConcurrencyAndCountsTheWindow) {
  InlineTarget target;
  bool started = false, ended = false;
  ClosedLoopOptions o;
  o.concurrency = 4;
  o.warmup_s = 0.1;
  o.duration_s = 0.3;
  o.on_window_start = [&] { started = true; };
  o.on_window_end = [&] { ended = true; };
  const ClosedLoopResult r = RunClosedLoop(target, o);
  EXPECT_TRUE(started);
  EXPECT_TRUE(ended);
  EXPECT_LE(target.max_in_flight_.load(), 4);
  EXPECT_EQ(target.in_flight_.load(), 0);
  EXPECT_GT(r.calls, 0u);
  // At least the window asked for; more only when the machine is slow to wake the loop.
  EXPECT_GE(r.window_s, 0.3);
  EXPECT_LT(r.window_s, 3.0);
  EXPECT_EQ(r.errors, 0u);
}

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/ptc_bench_test_" + std::to_string(getpid()) + "_" + name;
}

// 12345 as "12,345", as the report prints counts.
std::string WithCommas(long v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

TEST(MachineCpuTest, ParsesTheCpuLineOfProcStat) {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const MachineCpu m = ParseMachineCpu(
      "cpu  8249478 0 598075 4713196 18110 0 26956 291714 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n");
  EXPECT_EQ(m.total, 8249478u + 598075u + 4713196u + 18110u + 26956u + 291714u);
  EXPECT_EQ(m.steal, 291714u);
  EXPECT_DOUBLE_EQ(StealShare({100, 10}, {300, 60}), 0.25);
  EXPECT_TRUE(std::isnan(StealShare({100, 10}, {100, 10})));
  // Not the machine's line: zeros.
  EXPECT_EQ(ParseMachineCpu("cpu0 1 2 3 4 5 6 7 8\n").total, 0u);
  // This machine's /proc/stat is read: some time has passed since boot.
  EXPECT_GT(ReadMachineCpu().total, 0u);
}

// Tries with the given steal shares, in order; returns the kept index and how many were made
// (and checks that every try after the first was counted as a rerun).
std::pair<int, int> Tries(const StealPolicy& policy, const std::vector<double>& shares) {
  int made = 0, reruns = 0;
  const int kept = LeastStolenAttempt(policy, "test", &reruns, [&](int attempt) {
    EXPECT_EQ(attempt, made);
    ++made;
    return shares.at(attempt);
  });
  EXPECT_EQ(reruns, made - 1);
  return {kept, made};
}

TEST(StealPolicyTest, RunsAgainWhileStolenAndKeepsTheLeastStolen) {
  const StealPolicy policy{0.05, 3};
  EXPECT_EQ(Tries(policy, {0.01}), std::make_pair(0, 1));           // under the limit: one run
  EXPECT_EQ(Tries(policy, {0.05}), std::make_pair(0, 1));           // at it: kept
  EXPECT_EQ(Tries(policy, {0.3, 0.02}), std::make_pair(1, 2));      // stolen, then not
  EXPECT_EQ(Tries(policy, {0.3, 0.1, 0.2}), std::make_pair(1, 3));  // all stolen: the least
  EXPECT_EQ(Tries(policy, {0.1, 0.3, 0.2}), std::make_pair(0, 3));
  // Unknown steal cannot be judged: kept, no more tries; a known one is preferred to it.
  EXPECT_EQ(Tries(policy, {NAN}), std::make_pair(0, 1));
  EXPECT_EQ(Tries(policy, {0.3, NAN}), std::make_pair(0, 2));
  EXPECT_EQ(Tries({0.05, 1}, {0.9}), std::make_pair(0, 1));  // one try: no reruns
  EXPECT_EQ(Tries({0.05, 0}, {0.9}), std::make_pair(0, 1));  // at least one
}

TEST(ReportTest, AnAddedLatencyTargetNeedsFourRepeatsInFiveOnOneSide) {
  EXPECT_EQ(AddedVerdict({0.2, 0.25, 0.3, 0.1, 0.2}, 0.3), "yes");
  EXPECT_EQ(AddedVerdict({0.2, 0.25, 0.3, 0.1, 0.9}, 0.3), "yes");  // one repeat off
  EXPECT_EQ(AddedVerdict({0.5, 0.7, 0.5, 0.6, 0.2}, 0.3), "no");
  EXPECT_EQ(AddedVerdict({0, 0.1, 0.2}, 1), "yes");
  // Repeats on both sides: the median alone would say yes.
  EXPECT_EQ(AddedVerdict({0.648, -2.379, 4.659, 1.234, -2.056}, 1),
            "unclear (3 of 5 repeats within)");
  EXPECT_EQ(AddedVerdict({2.6, -5.1, -4.6}, 1), "no verdict (the baseline was slower)");
  EXPECT_EQ(AddedVerdict({}, 1), "–");
  // In the targets table.
  BenchResults r;
  LatencyCell ptc;
  ptc.subject = "ptc";
  ptc.baseline = "direct";
  ptc.rate = 1000;
  ptc.p50_ms = {1.0, 0.9, 1.1};
  ptc.p99_ms = {3.5, 2.6, 3.5};
  ptc.added_p50_ms = {0.7, 0.6, 0.8};
  ptc.added_p99_ms = {2.6, -5.1, -4.6};
  ptc.steal = {0, 0, 0};
  r.latency.push_back(ptc);
  const std::string md = ResultsMarkdown(r);
  EXPECT_THAT(md,
              testing::HasSubstr("| added latency p50, N = 1, 1k/s | ≤ 0.3 ms | 0.700 ms | no |"));
  EXPECT_THAT(md, testing::HasSubstr("| added latency p99, N = 1, 1k/s | ≤ 1 ms | -4.600 ms | no "
                                     "verdict (the baseline was slower) |"));
}

TEST(ChildProcessTest, WaitsForItsLineAndMeasuresIt) {
  auto child = ChildProcess::Spawn(
      {"/bin/sh", "-c", "echo starting; echo \"server listening on 127.0.0.1:99 \"; exec sleep 30"},
      TempPath("child.log"));
  ASSERT_TRUE(child.ok()) << child.status();
  auto line = (*child)->WaitForLine("listening on", std::chrono::seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "127.0.0.1:99");
  EXPECT_TRUE((*child)->Running());
  EXPECT_GE((*child)->CpuSeconds(), 0);
  EXPECT_GT((*child)->RssBytes(), 0);
  (*child)->Stop();
  EXPECT_FALSE((*child)->Running());
  EXPECT_LT((*child)->RssBytes(), 0);  // gone
}

TEST(ChildProcessTest, ReportsAnEarlyExit) {
  auto child =
      ChildProcess::Spawn({"/bin/sh", "-c", "echo cannot bind; exit 3"}, TempPath("exit.log"));
  ASSERT_TRUE(child.ok());
  auto line = (*child)->WaitForLine("listening on", std::chrono::seconds(10));
  EXPECT_EQ(line.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(line.status().message()), testing::HasSubstr("cannot bind"));
  EXPECT_FALSE(ChildProcess::Spawn({"/nonexistent/program"}, TempPath("none.log")).ok());
}

// ptc-bench itself, briefly: the fake backend's capacity and the direct client's CPU per call,
// direct calls, ptc and a gRPC health check at a low rate, and throughput at N = 1 and 16.
TEST(PtcBenchTest, QuickRunGivesSaneResults) {
  const std::string out = TempPath("out");
  auto bench = ChildProcess::Spawn(
      {PTC_BENCH_BIN, "--quick", "--measures=capacity,latency,throughput", "--out=" + out,
       std::string("--server_bin=") + PTC_SERVER_BIN, std::string("--fake_bin=") + PTC_FAKE_BIN},
      TempPath("bench.log"));
  ASSERT_TRUE(bench.ok()) << bench.status();
  auto done = (*bench)->WaitForLine("wrote", std::chrono::seconds(120));
  ASSERT_TRUE(done.ok()) << done.status();
  std::ifstream in(out + "/results.json");
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str());
  EXPECT_EQ(j["fake_backend_capacity"]["errors"], 0);
  EXPECT_GT(j["fake_backend_capacity"]["calls_per_cpu_s"].get<double>(), 0);
  EXPECT_GT(j["fake_backend_capacity"]["client_calls_per_cpu_s"].get<double>(), 0);
  EXPECT_GE(j["fake_backend_capacity"]["steal"].get<double>(), 0);
  EXPECT_LE(j["fake_backend_capacity"]["steal"].get<double>(), 1);
  EXPECT_EQ(j["fake_backend_capacity"]["reruns"], 0);  // the quick run makes one try
  ASSERT_EQ(j["latency"].size(), 3u);                  // direct, ptc, the gRPC health check
  for (const auto& cell : j["latency"]) {
    EXPECT_EQ(cell["errors"], 0) << cell.dump();
    EXPECT_GT(cell["ok"].get<int>(), 0) << cell.dump();
    const double p50 = cell["p50_ms"][0], p99 = cell["p99_ms"][0];
    EXPECT_GT(p50, 0);
    EXPECT_GE(p99, p50);
  }
  for (const auto* list : {&j["latency"], &j["throughput"]}) {
    for (const auto& cell : *list) {
      ASSERT_EQ(cell["steal"].size(), 1u) << cell.dump();  // one repeat
      EXPECT_GE(cell["steal"][0].get<double>(), 0) << cell.dump();
      EXPECT_LE(cell["steal"][0].get<double>(), 1) << cell.dump();
    }
  }
  EXPECT_EQ(j["latency"][1]["subject"], "ptc");
  EXPECT_EQ(j["latency"][1]["baseline"], "direct");
  EXPECT_EQ(j["latency"][1]["added_p50_ms"].size(), 1u);
  ASSERT_EQ(j["throughput"].size(), 3u);  // ptc at N = 1 and 16, then the health check
  for (const auto& cell : j["throughput"]) {
    EXPECT_EQ(cell["errors"], 0) << cell.dump();
    EXPECT_GT(cell["chains_per_cpu_s"][0].get<double>(), 0) << cell.dump();
  }
  EXPECT_EQ(j["throughput"][2]["subject"], "gRPC health check");
  EXPECT_EQ(j["throughput"][2]["n"], 1);
  EXPECT_EQ(j["throughput"][2]["concurrency"], 4);  // the quick run's 64 chains / 16
  std::ifstream md(out + "/results.md");
  std::stringstream md_text;
  md_text << md.rdbuf();
  EXPECT_THAT(md_text.str(), testing::HasSubstr("| 200 | ptc |"));
  EXPECT_THAT(md_text.str(), testing::HasSubstr("| calls ok / errors | CPU steal % (max) |"));
  // The throughput target sits beside the ceiling the same run measured for it: the bare
  // exchange per chain and an empty gRPC call per 16 chains.
  const double client = j["fake_backend_capacity"]["client_calls_per_cpu_s"];
  const double health = j["throughput"][2]["chains_per_cpu_s"][0];
  const long ceiling = std::lround(1 / (1 / client + 1 / (16 * health)));
  EXPECT_THAT(md_text.str(),
              testing::ContainsRegex("chains per server CPU-second, N = 16 \\|.*\\| ceiling " +
                                     WithCommas(ceiling) +
                                     " \\(ptc's HTTP client alone: [0-9,]+ calls per CPU-s; "
                                     "gRPC health check: [0-9,]+ per server CPU-s;"));
  EXPECT_THAT(md_text.str(), testing::ContainsRegex("The gRPC floor on the same server: health "
                                                    "checks \\(unary, no work\\), 4 in flight"));
}

}  // namespace
}  // namespace ptc::bench
