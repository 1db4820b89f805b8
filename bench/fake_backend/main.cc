// ptc-fake-backend: a fast fake OpenAI-compatible model server (fake_backend_server.h) for
// benchmarks.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "bench/fake_backend/fake_backend_server.h"
#include "common/process.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "HOST:PORT to serve HTTP on (port 0: any free)");
ABSL_FLAG(int, threads, 1, "threads running the server");
ABSL_FLAG(uint32_t, ttft_ms, 0, "time to first token, ms");
ABSL_FLAG(uint32_t, gap_ms, 0, "time between tokens, ms");
ABSL_FLAG(uint32_t, tokens, 16, "tokens per choice (the last one says \"Answer: X\")");
ABSL_FLAG(std::string, answer, "B", "the answer every chain gives");

int main(int argc, char** argv) {
  ptc::ParseFlags(argc, argv,
                  "ptc-fake-backend [--listen HOST:PORT] [--threads N] [--ttft_ms MS] "
                  "[--gap_ms MS] [--tokens N] [--answer X]");
  ptc::BlockTerminationSignals();
  ptc::fake::FakeBackendOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.profile.ttft_ms = absl::GetFlag(FLAGS_ttft_ms);
  options.profile.gap_ms = absl::GetFlag(FLAGS_gap_ms);
  options.profile.tokens = std::max<uint32_t>(absl::GetFlag(FLAGS_tokens), 1);
  options.profile.answer = absl::GetFlag(FLAGS_answer);
  auto server = ptc::fake::FakeBackendServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "ptc-fake-backend: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("ptc-fake-backend listening on %s\n", (*server)->base_url().c_str());
  std::fflush(stdout);
  const int sig = ptc::WaitForTerminationSignal();
  std::printf("ptc-fake-backend: signal %d, stopping\n", sig);
  (*server)->Stop();
  return 0;
}
