#include "bench/ptc_bench/measures.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/ptc_bench/targets.h"
#include "nlohmann/json.hpp"

namespace ptc::bench {
namespace {

double RunSeconds(double rate, double scale) {
  return scale * std::max(2.0, std::min(6.0, 3000.0 / rate));
}

void Log(const std::string& line) { std::fprintf(stderr, "ptc-bench: %s\n", line.c_str()); }

double Ms(double seconds) { return seconds * 1000; }

std::string Percent(double share) {
  return std::isnan(share) ? "unknown" : absl::StrCat(std::lround(100 * share), "%");
}

int64_t MedianRss(ChildProcess& p, int samples, std::chrono::milliseconds every) {
  std::vector<double> v;
  for (int i = 0; i < samples; ++i) {
    if (i > 0) std::this_thread::sleep_for(every);
    v.push_back(static_cast<double>(p.RssBytes()));
  }
  return static_cast<int64_t>(Median(v));
}

absl::StatusOr<int64_t> OpenStreams(const std::string& fake_address) {
  auto body = HttpGet(fake_address, "/stats");
  if (!body.ok()) return body.status();
  return nlohmann::json::parse(*body, nullptr, false).value("open_streams", int64_t{-1});
}

// One closed-loop run's counted window: the result, two processes' CPU seconds (a, b) and the
// machine's CPU at the window's start and end.
struct Window {
  ClosedLoopResult r;
  double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  MachineCpu machine0, machine1;
  double steal() const { return StealShare(machine0, machine1); }
};

Window RunWindow(Target& target, ClosedLoopOptions o, const std::function<double()>& cpu_a,
                 const std::function<double()>& cpu_b) {
  Window win;
  o.on_window_start = [&] {
    win.a0 = cpu_a();
    win.b0 = cpu_b();
    win.machine0 = ReadMachineCpu();
  };
  o.on_window_end = [&] {
    win.a1 = cpu_a();
    win.b1 = cpu_b();
    win.machine1 = ReadMachineCpu();
  };
  win.r = RunClosedLoop(target, o);
  return win;
}

}  // namespace

int LeastStolenAttempt(const StealPolicy& policy, const std::string& what, int* reruns,
                       const std::function<double(int)>& attempt) {
  const int tries = std::max(1, policy.tries);
  int best = 0;
  double best_share = NAN;
  for (int t = 0; t < tries; ++t) {
    const double share = attempt(t);
    if (t == 0 || (!std::isnan(share) && (std::isnan(best_share) || share < best_share))) {
      best = t;
      best_share = share;
    }
    if (std::isnan(share) || share <= policy.max_share || t + 1 == tries) break;
    Log(absl::StrCat(what, ": CPU steal ", Percent(share), ", run again"));
    ++*reruns;
  }
  return best;
}

std::vector<LatencyCell> MeasureLatency(const std::vector<Subject>& subjects, const Workload& w,
                                        const LatencyOptions& options, boost::asio::io_context& io,
                                        const std::string& fake_url) {
  const size_t k = subjects.size();
  std::vector<size_t> baseline(k);
  for (size_t i = 0; i < k; ++i) {
    baseline[i] = i;
    for (size_t j = 0; j < k; ++j) {
      if (subjects[j].name == subjects[i].baseline) baseline[i] = j;
    }
  }
  std::vector<LatencyCell> cells;
  for (double rate : options.rates) {
    for (size_t i = 0; i < k; ++i) {
      LatencyCell c;
      c.subject = subjects[i].name;
      if (baseline[i] != i) c.baseline = subjects[baseline[i]].name;
      c.rate = rate;
      c.n = w.n;
      cells.push_back(std::move(c));
    }
  }
  for (int rep = 0; rep < options.repeats; ++rep) {
    for (size_t ri = 0; ri < options.rates.size(); ++ri) {
      const double rate = options.rates[ri];
      std::vector<double> p50(k, NAN), p99(k, NAN);
      for (size_t step = 0; step < k; ++step) {
        const size_t i = (step + rep) % k;  // a different order each repeat
        if (subjects[i].peer && rate > options.peer_max_rate) continue;
        LatencyCell& cell = cells[ri * k + i];
        // Each try: fresh connections, a warm-up, then the measured run.
        struct Try {
          LoadResult r;
          double steal = NAN;
          bool ran = false;  // false: the target could not be made (r.first_error says why)
        };
        std::vector<Try> tries;
        const std::string what =
            absl::StrCat("latency ", subjects[i].name, " ", rate, "/s repeat ", rep + 1);
        const int kept = LeastStolenAttempt(options.steal, what, &cell.reruns, [&](int) {
          Try t;
          auto target = MakeTarget(subjects[i], w, io, fake_url);
          if (!target.ok()) {
            t.r.first_error = std::string(target.status().message());
            tries.push_back(std::move(t));
            return std::nan("");
          }
          OpenLoopOptions o;
          o.rate = rate;
          o.duration_s = options.warmup_s;
          o.seed = 7 + rep;
          RunOpenLoop(**target, o);
          o.duration_s = RunSeconds(rate, options.duration_scale);
          o.seed = 1000 * (rep + 1) + ri;
          const MachineCpu machine0 = ReadMachineCpu();
          t.r = RunOpenLoop(**target, o);
          t.steal = StealShare(machine0, ReadMachineCpu());
          t.ran = true;
          tries.push_back(std::move(t));
          return tries.back().steal;
        });
        for (const Try& t : tries) {  // errors of every try, the dropped ones too
          cell.errors += t.r.errors;
          if (cell.first_error.empty()) cell.first_error = t.r.first_error;
        }
        if (!tries[kept].ran) continue;
        const LoadResult& r = tries[kept].r;
        cell.steal.push_back(tries[kept].steal);
        cell.ok += r.ok;
        cell.worst_achieved = std::min(cell.worst_achieved, r.achieved_rate / rate);
        p50[i] = Ms(Percentile(r.latencies_s, 0.5));
        p99[i] = Ms(Percentile(r.latencies_s, 0.99));
        cell.p50_ms.push_back(p50[i]);
        cell.p99_ms.push_back(p99[i]);
        Log(absl::StrCat("latency ", subjects[i].name, " N=", w.n, " ", rate, "/s repeat ", rep + 1,
                         ": p50 ", p50[i], " ms, p99 ", p99[i], " ms, ok ", r.ok, ", errors ",
                         r.errors, r.errors > 0 ? " (" + r.first_error + ")" : "", ", CPU steal ",
                         Percent(cell.steal.back())));
      }
      for (size_t i = 0; i < k; ++i) {
        const size_t b = baseline[i];
        if (b == i || std::isnan(p50[i]) || std::isnan(p50[b])) continue;
        cells[ri * k + i].added_p50_ms.push_back(p50[i] - p50[b]);
        cells[ri * k + i].added_p99_ms.push_back(p99[i] - p99[b]);
      }
    }
  }
  return cells;
}

std::vector<ThroughputCell> MeasureThroughput(const std::vector<Subject>& subjects,
                                              const Workload& w, const ThroughputOptions& options,
                                              boost::asio::io_context& io,
                                              const std::string& fake_url, ChildProcess* fake) {
  std::vector<ThroughputCell> cells;
  for (uint32_t n : options.ns) {
    for (const Subject& s : subjects) {
      ThroughputCell c;
      c.subject = s.name;
      c.n = n;
      c.concurrency = std::max(2, options.chains_in_flight / static_cast<int>(n));
      cells.push_back(std::move(c));
    }
  }
  for (int rep = 0; rep < options.repeats; ++rep) {
    size_t cell = 0;
    for (uint32_t n : options.ns) {
      for (const Subject& s : subjects) {
        ThroughputCell& c = cells[cell++];
        Workload wn = w;
        wn.n = n;
        auto target = MakeTarget(s, wn, io, fake_url);
        if (!target.ok()) {
          c.first_error = std::string(target.status().message());
          continue;
        }
        // Each try's window: a = the subject's CPU seconds, b = the fake backend's.
        std::vector<Window> windows;
        const std::string what = absl::StrCat("throughput ", s.name, " N=", n, " repeat ", rep + 1);
        const int kept = LeastStolenAttempt(options.steal, what, &c.reruns, [&](int) {
          ClosedLoopOptions o;
          o.concurrency = c.concurrency;
          o.warmup_s = options.warmup_s;
          o.duration_s = options.duration_s;
          windows.push_back(RunWindow(
              **target, o, [&] { return s.process->CpuSeconds(); },
              [&] { return fake->CpuSeconds(); }));
          return windows.back().steal();
        });
        const Window& win = windows[kept];
        const ClosedLoopResult& r = win.r;
        const double cpu0 = win.a0, cpu1 = win.a1, fake0 = win.b0, fake1 = win.b1;
        const double chains = static_cast<double>(r.calls) * n;
        for (const Window& each : windows) {  // errors of every attempt, the dropped ones too
          c.errors += each.r.errors;
          if (c.first_error.empty()) c.first_error = each.r.first_error;
        }
        c.chains_per_cpu_s.push_back(cpu1 > cpu0 ? chains / (cpu1 - cpu0) : NAN);
        c.chains_per_s.push_back(chains / r.window_s);
        c.cpu_cores.push_back((cpu1 - cpu0) / r.window_s);
        c.fake_chains_per_cpu_s.push_back(fake1 > fake0 ? chains / (fake1 - fake0) : NAN);
        c.steal.push_back(win.steal());
        Log(absl::StrCat("throughput ", s.name, " N=", n, " repeat ", rep + 1, ": ",
                         std::lround(chains / r.window_s), " chains/s, ",
                         std::lround(c.chains_per_cpu_s.back()), " chains per CPU-s (",
                         (cpu1 - cpu0) / r.window_s, " cores), errors ", r.errors,
                         r.errors > 0 ? " (" + r.first_error + ")" : "", ", CPU steal ",
                         Percent(c.steal.back())));
      }
    }
  }
  return cells;
}

std::vector<MemoryCell> MeasureMemory(const std::string& name, const SubjectFactory& start,
                                      const MemoryOptions& options, boost::asio::io_context& io,
                                      const std::string& fake_url,
                                      const std::string& fake_address) {
  std::vector<MemoryCell> cells;
  for (uint32_t level : options.levels) {
    MemoryCell c;
    c.subject = name;
    c.chains = level;
    cells.push_back(std::move(c));
  }
  for (int rep = 0; rep < options.repeats; ++rep) {
    Subject s;
    auto process = start(rep, &s);
    if (!process.ok()) {
      cells[0].first_error = std::string(process.status().message());
      Log("memory " + name + ": " + cells[0].first_error);
      return cells;
    }
    // Warm up on fast chains (connection pools, allocator arenas), then settle.
    {
      Workload fast;
      fast.n = options.n;
      auto warm = MakeTarget(s, fast, io, fake_url);
      if (warm.ok()) {
        ClosedLoopOptions o;
        o.concurrency = 8;
        o.warmup_s = 0;
        o.duration_s = 1;
        RunClosedLoop(**warm, o);
      }
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const int64_t idle = MedianRss(**process, 5, std::chrono::milliseconds(100));
    auto base_streams = OpenStreams(fake_address);
    Workload slow;
    slow.model = options.slow_model;
    slow.n = options.n;
    SolveTarget target(s.address, SolveRequestFor(slow), kExpectedAnswer);
    if (absl::Status st = target.WaitReady(std::chrono::seconds(10)); !st.ok()) {
      cells[0].first_error = std::string(st.message());
      return cells;
    }
    Recorder rec(1 << 16);
    size_t calls = 0;
    uint32_t open = 0;
    for (MemoryCell& c : cells) {
      while (open < c.chains) {
        target.Start(calls++, Clock::now(), rec);
        open += options.n;
      }
      // Wait until the fake backend streams every chain, then let tokens flow for a while.
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
      int64_t streams = 0;
      while (Clock::now() < deadline && rec.errors() == 0) {
        auto now_open = OpenStreams(fake_address);
        streams = now_open.ok() ? *now_open - base_streams.value_or(0) : -1;
        if (streams >= open) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (rec.errors() > 0 || streams < open) {
        c.errors += rec.errors();
        c.first_error = rec.errors() > 0 ? rec.first_error()
                                         : absl::StrCat("only ", streams, " of ", open,
                                                        " chains streaming after 60 s");
        Log("memory " + name + ": " + c.first_error);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      const int64_t rss = MedianRss(**process, 5, std::chrono::milliseconds(200));
      c.kib_per_chain.push_back(static_cast<double>(rss - idle) / 1024.0 / open);
      c.rss_mib.push_back(static_cast<double>(rss) / (1 << 20));
      c.idle_rss_mib.push_back(static_cast<double>(idle) / (1 << 20));
      Log(absl::StrCat("memory ", name, " repeat ", rep + 1, ": ", open, " chains open, RSS ",
                       c.rss_mib.back(), " MiB (idle ", c.idle_rss_mib.back(), "), ",
                       c.kib_per_chain.back(), " KiB per chain"));
    }
    target.CancelAll();
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
    while (target.in_flight() > 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    (*process)->Stop();
    // Let the fake backend notice the closed streams before the next repeat.
    const Clock::time_point settle = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < settle) {
      auto now_open = OpenStreams(fake_address);
      if (!now_open.ok() || *now_open <= base_streams.value_or(0)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return cells;
}

CapacityResult MeasureFakeCapacity(boost::asio::io_context& io, const std::string& fake_url,
                                   ChildProcess* fake, const Workload& w, double duration_s,
                                   const StealPolicy& steal) {
  CapacityResult result;
  Subject direct;
  direct.via = Via::kDirect;
  auto target = MakeTarget(direct, w, io, fake_url);
  if (!target.ok()) return result;
  // Each try's window: a = the fake backend's CPU seconds, b = this process's.
  std::vector<Window> windows;
  const int kept = LeastStolenAttempt(steal, "fake backend capacity", &result.reruns, [&](int) {
    ClosedLoopOptions o;
    o.concurrency = 64;
    o.warmup_s = 0.5;
    o.duration_s = duration_s;
    windows.push_back(RunWindow(
        **target, o, [&] { return fake->CpuSeconds(); },
        [] { return ProcessCpuSeconds(getpid()); }));
    return windows.back().steal();
  });
  const Window& win = windows[kept];
  const ClosedLoopResult& r = win.r;
  result.calls_per_s = r.calls / r.window_s;
  result.calls_per_cpu_s = win.a1 > win.a0 ? r.calls / (win.a1 - win.a0) : NAN;
  result.client_calls_per_cpu_s = win.b1 > win.b0 ? r.calls / (win.b1 - win.b0) : NAN;
  result.steal = win.steal();
  for (const Window& each : windows) result.errors += each.r.errors;
  Log(absl::StrCat("fake backend capacity: ", std::lround(result.calls_per_s), " calls/s, ",
                   std::lround(result.calls_per_cpu_s), " per its CPU-s; the direct client ",
                   std::lround(result.client_calls_per_cpu_s), " per ptc-bench CPU-s, CPU steal ",
                   Percent(result.steal)));
  return result;
}

}  // namespace ptc::bench
