#include "service/client/eval_command.h"

#include <chrono>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/eval/eval_runner.h"
#include "bench/eval/eval_stats.h"
#include "bench/eval/results_writer.h"
#include "common/mcq_dataset.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ptc/v1/backends/sim.pb.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::client {
namespace {

// The in-process server: the default config, on a free loopback port, without the metrics
// exposer, with the simulated model taught the dataset being evaluated.
absl::StatusOr<std::unique_ptr<Server>> StartLocalServer(const std::string& dataset) {
  v1::ServerConfig config = LocalServerConfig();
  for (v1::BackendConfig& b : *config.mutable_backends()) {
    v1::SimBackendConfig sim;
    if (!b.config().UnpackTo(&sim)) continue;
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(dataset, ec);
    sim.set_dataset(ec ? dataset : abs.string());
    b.mutable_config()->PackFrom(sim);
  }
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) return s;
  return Server::Start(config);
}

// The rule's name as the server reports it: the name of the oneof field that is set.
std::string StopName(const v1::StopRule& stop) {
  const google::protobuf::FieldDescriptor* f = stop.GetReflection()->GetOneofFieldDescriptor(
      stop, v1::StopRule::descriptor()->FindOneofByName("rule"));
  return f ? f->name() : "fixed";
}

std::string NLine(const eval::NStats& s, absl::Duration elapsed) {
  std::string line = absl::StrFormat(
      "%s N=%-4u accuracy %.3f [%.3f, %.3f]  %5.1f chains  $%.4f/question  %d requests  %.1f s",
      s.stop, s.n, s.accuracy, s.ci.low, s.ci.high, s.mean_chains, s.mean_cost_usd, s.requests,
      absl::ToDoubleSeconds(elapsed));
  if (s.errors > 0) {
    absl::StrAppend(&line, "  ", s.errors, " errors (first: ", s.first_error, ")");
  }
  return line;
}

}  // namespace

int RunEvalCommand(const EvalArgs& args, std::ostream& out, std::ostream& err) {
  if (args.ns.empty()) {
    err << "ptc eval: --n: empty list\n";
    return 2;
  }
  if (args.repeats < 1 || args.repeats > 1000) {
    err << "ptc eval: --repeats: must be in [1, 1000]\n";
    return 2;
  }
  if (args.concurrency < 1) {
    err << "ptc eval: --concurrency: must be at least 1\n";
    return 2;
  }
  if (args.limit < 0) {
    err << "ptc eval: --limit: must be non-negative\n";
    return 2;
  }
  if (args.timeout <= absl::ZeroDuration()) {
    err << "ptc eval: --timeout_s: must be positive\n";
    return 2;
  }
  const std::string dataset = args.dataset.empty() ? DefaultSampleDatasetPath() : args.dataset;
  if (dataset.empty()) {
    err << "ptc eval: --dataset: none given and the bundled sample is not installed\n";
    return 2;
  }
  auto questions = LoadMcqJsonl(dataset);
  if (!questions.ok()) {
    err << "ptc eval: --dataset: " << questions.status().message() << "\n";
    return 2;
  }
  if (args.limit > 0 && static_cast<size_t>(args.limit) < questions->size()) {
    questions->resize(args.limit);
  }

  std::unique_ptr<Server> local;
  std::string address = args.server;
  if (address.empty()) {
    auto started = StartLocalServer(dataset);
    if (!started.ok()) {
      err << "ptc eval: cannot start the in-process server: " << started.status().message() << "\n";
      return 1;
    }
    local = *std::move(started);
    address = local->address();
  }
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    err << "ptc eval: cannot connect to " << address << "\n";
    return 1;
  }
  auto stub = v1::Orchestrator::NewStub(channel);

  eval::EvalOptions options;
  options.ns = args.ns;
  options.repeats = args.repeats;
  options.base_seed = args.seed;
  options.max_in_flight = args.concurrency;
  options.experiment =
      args.experiment.empty() ? std::filesystem::path(dataset).stem().string() : args.experiment;
  options.backend = args.backend;
  options.model = args.model;
  options.max_tokens = args.max_tokens;
  options.timeout = args.timeout;
  const absl::Time start = absl::Now();
  std::string stop_name;
  options.on_n_done = [&](uint32_t n, const std::vector<eval::RequestResult>& results) {
    eval::NStats s = eval::Summarize(n, results);
    s.stop = stop_name;
    out << NLine(s, absl::Now() - start) << std::endl;
  };
  out << "ptc eval: " << questions->size() << " questions x " << args.repeats << " repeats, N in {"
      << absl::StrJoin(args.ns, ", ") << "}, " << args.concurrency << " in flight, server "
      << (local ? absl::StrCat("in-process (", address, ")") : address) << std::endl;
  std::vector<eval::NStats> rows;  // by stop rule, then N in the order given
  int errors = 0;
  std::string first_error;
  options.launch = args.launch;
  for (const v1::StopRule& stop : args.stops) {
    options.stop = stop;
    stop_name = StopName(stop);
    auto results = eval::RunEval(*stub, *questions, options);
    if (!results.ok()) {
      err << "ptc eval: " << results.status().message() << "\n";
      return 1;
    }
    for (size_t i = 0; i < args.ns.size(); ++i) {
      rows.push_back(eval::Summarize(args.ns[i], results->by_n[i]));
      rows.back().stop = stop_name;
    }
    errors += results->errors;
    if (first_error.empty()) first_error = results->first_error;
  }
  if (local) local->Shutdown(absl::Seconds(1));
  out << "\n" << eval::FormatTable(rows);
  out << absl::StrFormat("wall time %.1f s\n", absl::ToDoubleSeconds(absl::Now() - start));
  int code = 0;
  if (!args.out_dir.empty()) {
    if (absl::Status s = eval::WriteResultsCsv(args.out_dir, rows); !s.ok()) {
      err << "ptc eval: " << s.message() << "\n";
      code = 1;
    } else {
      out << "wrote " << (std::filesystem::path(args.out_dir) / "results.csv").string() << "\n";
    }
  }
  if (errors > 0) {
    err << "ptc eval: " << errors << " of "
        << args.stops.size() * args.ns.size() * questions->size() * args.repeats
        << " calls failed; first: " << first_error << "\n";
    code = 1;
  }
  out.flush();
  return code;
}

}  // namespace ptc::client
