// What ptc-bench runs against: the processes it starts (the fake backend, ptc-server, the
// Portkey gateway, the asyncio peer), the workloads it sends and the targets that send them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/ptc_bench/child_process.h"
#include "bench/ptc_bench/load.h"
#include "boost/asio/io_context.hpp"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::bench {

struct BenchPaths {
  std::string out_dir;      // logs, configs, results
  std::string server_bin;   // ptc-server
  std::string fake_bin;     // ptc-fake-backend
  std::string portkey_dir;  // holds node_modules/@portkey-ai/gateway; empty = no Portkey
  std::string node = "node";
  std::string asyncio_script;  // bench/peers/asyncio_fanout.py; empty = no asyncio peer
  std::string python = "/usr/bin/python3";
  std::string proto_dir;   // the repository's proto/ (for the asyncio peer's protoc)
  int server_threads = 0;  // ptc-server worker_threads; 0 = its default (the core count)
};

// The fake backend: `--threads` threads, the default profile (16 tokens, no latency).
absl::StatusOr<std::unique_ptr<ChildProcess>> StartFakeBackend(const BenchPaths& paths, int threads,
                                                               std::string* url);
// ptc-server with one OpenAI-compatible backend "fake" on `fake_url`; `*address` = HOST:PORT.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartPtcServer(const BenchPaths& paths,
                                                             const std::string& fake_url,
                                                             const std::string& tag,
                                                             std::string* address);
absl::StatusOr<std::unique_ptr<ChildProcess>> StartPortkey(const BenchPaths& paths,
                                                           std::string* url);
absl::StatusOr<std::unique_ptr<ChildProcess>> StartAsyncioPeer(const BenchPaths& paths,
                                                               const std::string& fake_url,
                                                               const std::string& tag,
                                                               std::string* address);

// The server config ptc-bench gives ptc-server (text-format ptc.v1.ServerConfig).
std::string PtcServerConfigText(const std::string& fake_url, int worker_threads);

// GET http://HOST:PORT/path, the body (blocking; for the fake backend's /stats).
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path);

// What one call asks for: `n` chains of `model` (a fake-backend model name with its profile).
struct Workload {
  std::string model = "fake";
  uint32_t n = 1;
  uint32_t max_tokens = 1024;
};
v1::SolveRequest SolveRequestFor(const Workload& w);
// The chat-completions body ptc's OpenAI backend sends for one chain of `w` (streamed with usage,
// as ptc asks), or the same not streamed, for direct calls.
std::string ChatBodyFor(const Workload& w, bool stream = true);
inline constexpr char kExpectedAnswer[] = "B";

// Who is measured.
enum class Via { kDirect, kPortkey, kPtc, kAsyncio, kGrpcHealth };
struct Subject {
  std::string name;
  Via via = Via::kDirect;
  std::string address;              // HOST:PORT (gRPC) or base URL (HTTP)
  ChildProcess* process = nullptr;  // the measured process; null for direct calls
  bool stream = true;               // HTTP subjects: ask for a streamed completion
  std::string baseline = "direct";  // the subject its added latency is taken against
  bool peer = false;                // measured only up to the peers' rate cap
  bool grpc() const { return via == Via::kPtc || via == Via::kAsyncio; }
};

// A target sending `w` to `s`: Solve with n chains, or n parallel chat completions.
absl::StatusOr<std::unique_ptr<Target>> MakeTarget(const Subject& s, const Workload& w,
                                                   boost::asio::io_context& io,
                                                   const std::string& fake_url);

}  // namespace ptc::bench
