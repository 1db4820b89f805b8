// ptc-bench: whole-process performance figures for ptc, each against a baseline measured in the
// same run (see measures.h and bench/README.md). It starts the fake model server, ptc-server
// configured to use it, and the peers when given (the Portkey gateway from npm, the asyncio
// fan-out server), drives them over loopback and writes results.json and results.md.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/ptc_bench/bench_env.h"
#include "bench/ptc_bench/measures.h"
#include "bench/ptc_bench/report.h"
#include "boost/asio/executor_work_guard.hpp"
#include "common/process.h"

ABSL_FLAG(std::string, out, "bench-out", "directory for results.json, results.md and logs");
ABSL_FLAG(std::string, server_bin, "", "ptc-server; default: the build tree's, beside this one");
ABSL_FLAG(std::string, fake_bin, "", "ptc-fake-backend; default: the build tree's");
ABSL_FLAG(std::string, portkey_dir, "",
          "a directory holding node_modules/@portkey-ai/gateway (bench/peers/portkey.sh "
          "installs it); empty = no Portkey peer");
ABSL_FLAG(std::string, node, "node", "Node.js, for Portkey");
ABSL_FLAG(std::string, asyncio_script, "",
          "bench/peers/asyncio_fanout.py; empty = no asyncio peer");
ABSL_FLAG(std::string, python, "/usr/bin/python3", "Python with grpcio and aiohttp (Debian's)");
ABSL_FLAG(std::string, proto_dir, PTC_SOURCE_DIR "/proto", "the repository's proto/ directory");
ABSL_FLAG(std::string, measures, "capacity,latency,fanout,throughput,memory",
          "which measures to take");
ABSL_FLAG(int, repeats, 5, "repeats of the latency measures");
ABSL_FLAG(std::string, rates, "100,1000,5000", "open-loop request rates for N = 1");
ABSL_FLAG(double, duration_scale, 1.0, "scales every latency run's length");
ABSL_FLAG(double, peer_max_rate, 1000, "peers are measured only up to this rate");
ABSL_FLAG(int, fanout_n, 16, "N of the fan-out latency measure");
ABSL_FLAG(double, fanout_rate, 100, "request rate of the fan-out latency measure");
ABSL_FLAG(std::string, throughput_ns, "1,4,16,64,256", "N values of the throughput measure");
ABSL_FLAG(int, throughput_repeats, 3, "repeats of the throughput measure");
ABSL_FLAG(double, throughput_seconds, 3, "counted window of each throughput run");
ABSL_FLAG(int, chains_in_flight, 512, "throughput: calls in flight = max(2, this / N)");
ABSL_FLAG(std::string, memory_levels, "1024,2048,4000", "chains held open, ascending");
ABSL_FLAG(int, memory_repeats, 3, "repeats of the memory measure (a fresh process each)");
ABSL_FLAG(int, fake_threads, 1, "threads of the fake backend");
ABSL_FLAG(int, server_threads, 0, "ptc-server worker_threads; 0 = its default");
ABSL_FLAG(double, max_steal, 5,
          "a latency or throughput run during which the hypervisor stole more than this percent "
          "of the machine's CPU time is made again");
ABSL_FLAG(int, steal_tries, 3, "runs at most per measured run, the least-stolen kept; 1 = none");
ABSL_FLAG(bool, quick, false, "a smoke run: one short repeat of everything, small levels");
ABSL_FLAG(std::string, print_server_config, "",
          "print the ptc-server config the measures use, for a fake backend at this URL, and exit "
          "(bench/instructions.sh runs the same server)");

namespace ptc::bench {
namespace {

template <typename T>
std::vector<T> ParseList(const std::string& text) {
  std::vector<T> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    double v = 0;
    if (!absl::SimpleAtod(part, &v)) {
      std::fprintf(stderr, "ptc-bench: bad number \"%s\"\n", std::string(part).c_str());
      std::exit(2);
    }
    out.push_back(static_cast<T>(v));
  }
  return out;
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

std::string HostPort(const std::string& url) {
  std::string s = url.substr(url.find("//") + 2);
  return s.substr(0, s.find('/'));
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "ptc-bench: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Main() {
  if (const std::string url = absl::GetFlag(FLAGS_print_server_config); !url.empty()) {
    std::fputs(PtcServerConfigText(url, absl::GetFlag(FLAGS_server_threads)).c_str(), stdout);
    return 0;
  }
  const bool quick = absl::GetFlag(FLAGS_quick);
  BenchPaths paths;
  paths.out_dir = absl::GetFlag(FLAGS_out);
  ::mkdir(paths.out_dir.c_str(), 0755);
  const std::string self = SelfDir();
  paths.server_bin = absl::GetFlag(FLAGS_server_bin);
  if (paths.server_bin.empty()) paths.server_bin = self + "/../../service/ptc-server";
  paths.fake_bin = absl::GetFlag(FLAGS_fake_bin);
  if (paths.fake_bin.empty()) paths.fake_bin = self + "/../fake_backend/ptc-fake-backend";
  paths.portkey_dir = absl::GetFlag(FLAGS_portkey_dir);
  paths.node = absl::GetFlag(FLAGS_node);
  paths.asyncio_script = absl::GetFlag(FLAGS_asyncio_script);
  paths.python = absl::GetFlag(FLAGS_python);
  paths.proto_dir = absl::GetFlag(FLAGS_proto_dir);
  paths.server_threads = absl::GetFlag(FLAGS_server_threads);
  const std::string measures = absl::GetFlag(FLAGS_measures);
  StealPolicy steal;
  steal.max_share = absl::GetFlag(FLAGS_max_steal) / 100;
  steal.tries = quick ? 1 : absl::GetFlag(FLAGS_steal_tries);
  auto wants = [&](const char* m) { return absl::StrContains(measures, m); };

  BenchResults results;
  results.started_at = UtcNow();
  results.machine = DescribeMachine();
  const std::string load_before = LoadAverage();
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> settings;
  if (quick) {
    settings.push_back("quick");
  } else {
    settings.push_back(absl::StrCat("repeats=", absl::GetFlag(FLAGS_repeats)));
    settings.push_back("rates=" + absl::GetFlag(FLAGS_rates));
    settings.push_back(absl::StrCat("fanout=", absl::GetFlag(FLAGS_fanout_n), "@",
                                    absl::GetFlag(FLAGS_fanout_rate), "/s"));
    settings.push_back("throughput_ns=" + absl::GetFlag(FLAGS_throughput_ns));
    settings.push_back("memory_levels=" + absl::GetFlag(FLAGS_memory_levels));
    settings.push_back(absl::StrCat("max_steal=", absl::GetFlag(FLAGS_max_steal), "% x",
                                    absl::GetFlag(FLAGS_steal_tries)));
  }
  settings.push_back("measures=" + measures);
  results.settings = absl::StrJoin(settings, " ");

  // The HTTP client of the direct and Portkey calls.
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  struct Joiner {
    boost::asio::io_context& io;
    decltype(work)& guard;
    std::thread& thread;
    ~Joiner() {
      guard.reset();
      io.stop();
      thread.join();
    }
  } joiner{io, work, io_thread};

  std::string fake_url;
  auto fake = StartFakeBackend(paths, absl::GetFlag(FLAGS_fake_threads), &fake_url);
  if (!fake.ok()) return Fail(fake.status());
  const std::string fake_address = HostPort(fake_url);
  std::fprintf(stderr, "ptc-bench: fake backend on %s\n", fake_url.c_str());
  Workload zero;  // the fake backend's default profile: 16 tokens, no latency
  zero.model = "fake";

  if (wants("capacity")) {
    results.capacity = MeasureFakeCapacity(io, fake_url, fake->get(), zero, quick ? 0.5 : 2, steal);
  }

  std::string ptc_address;
  auto server = StartPtcServer(paths, fake_url, "main", &ptc_address);
  if (!server.ok()) return Fail(server.status());
  std::vector<Subject> subjects = {
      {"direct", Via::kDirect, fake_url, nullptr},
      {"ptc", Via::kPtc, ptc_address, server->get()},
      // The floor of any gRPC service here: a health check on the same server.
      {"gRPC health check", Via::kGrpcHealth, ptc_address, server->get(), true,
       "gRPC health check"}};
  std::unique_ptr<ChildProcess> portkey, asyncio;
  if (!paths.portkey_dir.empty()) {
    std::string url;
    auto p = StartPortkey(paths, &url);
    if (!p.ok()) return Fail(p.status());
    portkey = *std::move(p);
    // Streamed, as ptc asks its backends, and whole: Portkey holds the first event of every
    // stream for 25 ms (a timer in its stream handler), so the whole call is its fairer figure.
    subjects.push_back({"portkey", Via::kPortkey, url, portkey.get(), true, "direct", true});
    subjects.push_back(
        {"direct (whole)", Via::kDirect, fake_url, nullptr, false, "direct (whole)", true});
    subjects.push_back(
        {"portkey (whole)", Via::kPortkey, url, portkey.get(), false, "direct (whole)", true});
  }
  if (!paths.asyncio_script.empty()) {
    std::string address;
    auto a = StartAsyncioPeer(paths, fake_url, "main", &address);
    if (!a.ok()) return Fail(a.status());
    asyncio = *std::move(a);
    subjects.push_back({"asyncio", Via::kAsyncio, address, asyncio.get(), true, "direct", true});
  }

  if (wants("latency")) {
    LatencyOptions o;
    o.rates = quick ? std::vector<double>{200} : ParseList<double>(absl::GetFlag(FLAGS_rates));
    o.repeats = quick ? 1 : absl::GetFlag(FLAGS_repeats);
    o.duration_scale = quick ? 0.25 : absl::GetFlag(FLAGS_duration_scale);
    o.warmup_s = quick ? 0.2 : 0.5;
    o.peer_max_rate = absl::GetFlag(FLAGS_peer_max_rate);
    o.steal = steal;
    results.latency = MeasureLatency(subjects, zero, o, io, fake_url);
  }
  if (wants("fanout")) {
    LatencyOptions o;
    o.rates = {quick ? 50.0 : absl::GetFlag(FLAGS_fanout_rate)};
    o.repeats = quick ? 1 : absl::GetFlag(FLAGS_repeats);
    o.duration_scale = quick ? 0.25 : absl::GetFlag(FLAGS_duration_scale);
    o.warmup_s = quick ? 0.2 : 0.5;
    o.peer_max_rate = absl::GetFlag(FLAGS_peer_max_rate);
    o.steal = steal;
    std::vector<Subject> fan;
    for (const Subject& s : subjects) {
      // Portkey proxies single calls.
      if (s.via != Via::kPortkey && s.via != Via::kGrpcHealth && s.stream) fan.push_back(s);
    }
    Workload w = zero;
    w.n = static_cast<uint32_t>(absl::GetFlag(FLAGS_fanout_n));
    results.fanout_latency = MeasureLatency(fan, w, o, io, fake_url);
  }
  if (wants("throughput")) {
    ThroughputOptions o;
    o.ns = quick ? std::vector<uint32_t>{1, 16}
                 : ParseList<uint32_t>(absl::GetFlag(FLAGS_throughput_ns));
    o.repeats = quick ? 1 : absl::GetFlag(FLAGS_throughput_repeats);
    o.chains_in_flight = quick ? 64 : absl::GetFlag(FLAGS_chains_in_flight);
    o.warmup_s = quick ? 0.3 : 1;
    o.duration_s = quick ? 0.7 : absl::GetFlag(FLAGS_throughput_seconds);
    o.steal = steal;
    std::vector<Subject> grpc_subjects;
    for (const Subject& s : subjects) {
      if (s.grpc()) grpc_subjects.push_back(s);
    }
    results.throughput = MeasureThroughput(grpc_subjects, zero, o, io, fake_url, fake->get());
    // The floor of a Solve's gRPC part: health checks (unary calls that do no work) on
    // ptc-server, as many in flight as Solve calls at N = 16; its CPU per call.
    for (const Subject& s : subjects) {
      if (s.via != Via::kGrpcHealth) continue;
      ThroughputOptions h = o;
      h.ns = {1};
      h.chains_in_flight = std::max(2, o.chains_in_flight / 16);
      const auto cells = MeasureThroughput({s}, zero, h, io, fake_url, fake->get());
      results.throughput.insert(results.throughput.end(), cells.begin(), cells.end());
    }
  }
  // The memory measure starts its own processes: stop the others first.
  server->reset();
  portkey.reset();
  asyncio.reset();
  if (wants("memory")) {
    MemoryOptions o;
    o.levels = quick ? std::vector<uint32_t>{64, 128}
                     : ParseList<uint32_t>(absl::GetFlag(FLAGS_memory_levels));
    o.repeats = quick ? 1 : absl::GetFlag(FLAGS_memory_repeats);
    o.n = 16;
    auto ptc = MeasureMemory(
        "ptc",
        [&](int rep, Subject* s) -> absl::StatusOr<std::unique_ptr<ChildProcess>> {
          std::string address;
          auto p = StartPtcServer(paths, fake_url, absl::StrCat("memory", rep), &address);
          if (!p.ok()) return p.status();
          *s = {"ptc", Via::kPtc, address, p->get()};
          return p;
        },
        o, io, fake_url, fake_address);
    results.memory.insert(results.memory.end(), ptc.begin(), ptc.end());
    if (!paths.asyncio_script.empty()) {
      auto peer = MeasureMemory(
          "asyncio",
          [&](int rep, Subject* s) -> absl::StatusOr<std::unique_ptr<ChildProcess>> {
            std::string address;
            auto p = StartAsyncioPeer(paths, fake_url, absl::StrCat("memory", rep), &address);
            if (!p.ok()) return p.status();
            *s = {"asyncio", Via::kAsyncio, address, p->get()};
            return p;
          },
          o, io, fake_url, fake_address);
      results.memory.insert(results.memory.end(), peer.begin(), peer.end());
    }
  }

  results.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  results.conditions = absl::StrCat(load_before, " before, ", LoadAverage(),
                                    " after (other work on the machine shows here)");
  if (absl::Status s = WriteResults(results, paths.out_dir); !s.ok()) return Fail(s);
  std::printf("%s", ResultsMarkdown(results).c_str());
  std::fprintf(stderr, "ptc-bench: wrote %s/results.json and results.md\n", paths.out_dir.c_str());
  return 0;
}

}  // namespace
}  // namespace ptc::bench

int main(int argc, char** argv) {
  ptc::ParseFlags(argc, argv,
                  "ptc-bench [--out DIR] [--quick] [--portkey_dir DIR] "
                  "[--asyncio_script FILE] [--measures a,b,...]");
  return ptc::bench::Main();
}
