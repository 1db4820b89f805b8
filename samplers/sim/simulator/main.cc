// ptc-simulator: an OpenAI-compatible chat-completions server driven by the simulated model.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "common/process.h"
#include "samplers/sim/simulator/simulator_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8000", "HOST:PORT to serve HTTP on");
ABSL_FLAG(std::string, dataset, "",
          "JSONL dataset whose answer key the model learns; default: the bundled GPQA sample");
ABSL_FLAG(uint64_t, seed, 1, "latent-parameter seed of the simulated model");
ABSL_FLAG(int, threads, 2, "threads running the server");

int main(int argc, char** argv) {
  ptc::ParseFlags(argc, argv,
                  "ptc-simulator [--listen HOST:PORT] [--dataset FILE] [--seed N] [--threads N]");
  ptc::BlockTerminationSignals();  // before any thread starts; taken below

  ptc::v1::SimBackendConfig config;
  config.set_dataset(absl::GetFlag(FLAGS_dataset));
  config.set_seed(absl::GetFlag(FLAGS_seed));
  auto server = ptc::sim::SimulatorServer::Start(config, absl::GetFlag(FLAGS_listen),
                                                 absl::GetFlag(FLAGS_threads));
  if (!server.ok()) {
    std::fprintf(stderr, "ptc-simulator: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("ptc-simulator listening on http://%s (model: %s, %zu questions)\n",
              (*server)->address().c_str(), (*server)->model().config().default_model().c_str(),
              (*server)->model().questions().size());
  std::fflush(stdout);

  const int sig = ptc::WaitForTerminationSignal();
  std::printf("ptc-simulator: signal %d, stopping\n", sig);
  std::fflush(stdout);
  (*server)->Stop();
  return 0;
}
