// ptc-server: the gRPC service. With no --config it runs on the embedded simulated backend.
#include <pthread.h>

#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/process.h"
#include "service/config.h"
#include "service/server.h"

ABSL_FLAG(std::string, config, "",
          "text-format ptc.v1.ServerConfig; default: embedded sim backend");
ABSL_FLAG(std::string, listen, "", "gRPC HOST:PORT (overrides the config's listen)");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus HOST:PORT, or \"off\" (overrides the config's metrics_listen)");
ABSL_FLAG(int, drain_seconds, 10, "on SIGTERM/SIGINT, how long in-flight calls may finish");

int main(int argc, char** argv) {
  ptc::ParseFlags(argc, argv,
                  "ptc-server [--config FILE] [--listen HOST:PORT] [--metrics-listen HOST:PORT]");
  ptc::BlockTerminationSignals();  // before any thread starts; taken below
  // Debian's Abseil is built with its debug checks, so every absl::Mutex (gRPC's) would record
  // its lock order in one process-wide graph, under a global lock: a test tool, not a server's.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  ptc::v1::ServerConfig config;
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    config = ptc::DefaultServerConfig();
  } else {
    auto loaded = ptc::LoadServerConfigFile(path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "ptc-server: bad config: %s\n",
                   std::string(loaded.status().message()).c_str());
      return 2;
    }
    config = *std::move(loaded);
  }
  if (!absl::GetFlag(FLAGS_listen).empty()) config.set_listen(absl::GetFlag(FLAGS_listen));
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    config.set_metrics_listen(absl::GetFlag(FLAGS_metrics_listen));
  }
  if (absl::Status s = ptc::ValidateServerConfig(config); !s.ok()) {
    std::fprintf(stderr, "ptc-server: bad config: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  auto server = ptc::Server::Start(config);
  if (!server.ok()) {
    std::fprintf(stderr, "ptc-server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::string backends;
  for (const auto& b : config.backends())
    absl::StrAppend(&backends, backends.empty() ? "" : ", ", b.name());
  std::printf("ptc-server listening on %s (metrics: %s; backends: %s)\n",
              (*server)->address().c_str(),
              (*server)->metrics_address().empty() ? "off" : (*server)->metrics_address().c_str(),
              backends.c_str());
  std::fflush(stdout);

  const int sig = ptc::WaitForTerminationSignal();
  std::printf("ptc-server: signal %d, draining for up to %ds\n", sig,
              absl::GetFlag(FLAGS_drain_seconds));
  std::fflush(stdout);
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_drain_seconds)));
  return 0;
}
