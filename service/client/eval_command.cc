#include "service/client/eval_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/eval/eval_stats.h"
#include "bench/eval/experiment.h"
#include "bench/eval/report.h"
#include "bench/eval/results_writer.h"
#include "common/mcq_dataset.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ptc/v1/backends/sim.pb.h"
#include "service/client/connection.h"
#include "service/client/progress.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::client {
namespace {

// The in-process server: the default config, on a free loopback port, without the metrics
// exposer, with the simulated model taught the dataset being evaluated (`sim_dataset`, GPQA-style
// JSONL; empty = its own default).
absl::StatusOr<std::unique_ptr<Server>> StartLocalServer(const std::string& sim_dataset) {
  v1::ServerConfig config = LocalServerConfig();
  for (v1::BackendConfig& b : *config.mutable_backends()) {
    v1::SimBackendConfig sim;
    if (sim_dataset.empty() || !b.config().UnpackTo(&sim)) continue;
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(sim_dataset, ec);
    sim.set_dataset(ec ? sim_dataset : abs.string());
    b.mutable_config()->PackFrom(sim);
  }
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) return s;
  return Server::Start(config);
}

std::string NLine(const eval::NStats& s, const std::string& label) {
  std::string line = absl::StrFormat(
      "%s N=%-4u accuracy %.3f [%.3f, %.3f]  %5.1f chains  $%.4f/question  %d requests%s", label,
      s.n, s.accuracy, s.ci.low, s.ci.high, s.mean_chains, s.mean_cost_usd, s.requests,
      s.subsampled ? "  (prefix of largest N)" : "");
  if (s.errors > 0) {
    absl::StrAppend(&line, "  ", s.errors, " errors (first: ", s.first_error, ")");
  }
  return line;
}

int Bad(std::ostream& err, absl::string_view message) {
  err << "ptc eval: " << message << "\n";
  return 2;
}

}  // namespace

int RunEvalCommand(const EvalArgs& args, std::ostream& out, std::ostream& err) {
  if (args.ns.empty()) return Bad(err, "--n: empty list");
  if (args.repeats < 1 || args.repeats > 1000) return Bad(err, "--repeats: must be in [1, 1000]");
  if (args.concurrency < 1) return Bad(err, "--concurrency: must be at least 1");
  if (args.limit < 0) return Bad(err, "--limit: must be non-negative");
  if (args.timeout <= absl::ZeroDuration()) return Bad(err, "--timeout_s: must be positive");
  if (args.resume && args.out_dir.empty()) return Bad(err, "--resume: needs --out DIR");
  if (!args.scenario.empty() && args.scenario != kClaude37GpqaScenario) {
    return Bad(err,
               absl::StrCat("--scenario: \"", args.scenario, "\" is not ", kClaude37GpqaScenario));
  }
  if (args.strategies.empty() || args.stops.empty() || args.thinking_budgets.empty() ||
      args.backends.empty() || args.models.empty()) {
    return Bad(err, "empty sweep list");
  }
  std::vector<eval::Series> series;
  for (const std::string& strategy : args.strategies) {
    auto aggregation = eval::AggregationByName(strategy);
    if (!aggregation.ok())
      return Bad(err, absl::StrCat("--strategy: ", aggregation.status().message()));
    for (const v1::StopRule& stop : args.stops) {
      for (const v1::ComputePolicy& compute : args.computes) {
        for (uint32_t budget : args.thinking_budgets) {
          for (const std::string& backend : args.backends) {
            for (const std::string& model : args.models) {
              eval::Series s;
              s.strategy = strategy;
              s.aggregation = *aggregation;
              s.stop_rule = stop;
              s.stop = eval::StopName(stop);
              if (compute.has_auto_()) {
                s.stop = absl::StrCat(eval::ComputeName(compute), " then ", s.stop);
              }
              s.compute = compute;
              s.thinking_budget = budget;
              s.backend = backend;
              s.model = model;
              series.push_back(std::move(s));
            }
          }
        }
      }
    }
  }

  const std::string dataset = args.dataset.empty() ? DefaultSampleDatasetPath() : args.dataset;
  if (dataset.empty()) {
    return Bad(err, "--dataset: none given and the bundled sample is not installed");
  }
  auto questions = LoadDataset(dataset, args.dataset_format);
  if (!questions.ok()) return Bad(err, absl::StrCat("--dataset: ", questions.status().message()));
  if (args.limit > 0 && static_cast<size_t>(args.limit) < questions->size()) {
    questions->resize(args.limit);
  }
  const bool numeric = !questions->empty() && questions->front().numeric;
  std::string prompt_template;
  if (!args.prompt_template_file.empty()) {
    std::ifstream in(args.prompt_template_file);
    if (!in) {
      return Bad(err, absl::StrCat("--prompt_template: cannot open ", args.prompt_template_file));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    prompt_template = ss.str();
    if (absl::Status s = ValidatePromptTemplate(prompt_template, numeric); !s.ok()) {
      return Bad(err,
                 absl::StrCat("--prompt_template: ", args.prompt_template_file, ": ", s.message()));
    }
  }

  std::unique_ptr<Server> local;
  std::string address = args.server;
  if (address.empty()) {
    // The simulated model reads GPQA-style JSONL: give it the dataset as such.
    std::string sim_dataset;
    if (!numeric) {
      sim_dataset = dataset;
      if (!LoadMcqJsonl(dataset).ok()) {
        sim_dataset = (std::filesystem::temp_directory_path() /
                       absl::StrCat("ptc_eval_sim_", getpid(), ".jsonl"))
                          .string();
        if (absl::Status s = WriteMcqJsonl(*questions, sim_dataset); !s.ok()) {
          err << "ptc eval: " << s.message() << "\n";
          return 1;
        }
      }
    }
    auto started = StartLocalServer(sim_dataset);
    if (!started.ok()) {
      err << "ptc eval: cannot start the in-process server: " << started.status().message() << "\n";
      return 1;
    }
    local = *std::move(started);
    address = local->address();
  }
  // The in-process server is plaintext on loopback; a remote one takes the connection flags.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      local ? grpc::CreateChannel(address, grpc::InsecureChannelCredentials())
            : MakeChannel(address);
  if (!channel.ok()) return Bad(err, channel.status().message());
  if (!(*channel)->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    err << "ptc eval: cannot connect to " << address << "\n";
    return 1;
  }
  auto stub = v1::Orchestrator::NewStub(*channel);

  eval::ExperimentOptions options;
  options.series = series;
  options.ns = args.ns;
  options.repeats = args.repeats;
  options.base_seed = args.seed;
  options.max_in_flight = args.concurrency;
  options.experiment =
      args.experiment.empty() ? std::filesystem::path(dataset).stem().string() : args.experiment;
  options.max_tokens = args.max_tokens;
  options.launch = args.launch;
  options.timeout = args.timeout;
  options.prompt_template = prompt_template;
  options.subsample = args.subsample;
  options.resume = args.resume;
  options.cancel = args.cancel;
  if (!args.out_dir.empty()) {
    options.records_path = (std::filesystem::path(args.out_dir) / "records.jsonl").string();
  }
  const bool tty =
      args.progress < 0 ? (&err == &std::cerr && isatty(STDERR_FILENO)) : args.progress == 1;
  ProgressPrinter progress(err, tty);
  options.on_progress = [&](const eval::Progress& p) { progress.Update(p); };

  out << "ptc eval: " << questions->size() << " questions x " << args.repeats << " repeats, N in {"
      << absl::StrJoin(args.ns, ", ") << "}, " << series.size() << " series, " << args.concurrency
      << " in flight, server " << (local ? absl::StrCat("in-process (", address, ")") : address)
      << std::endl;
  auto results = eval::RunExperiment(*stub, *questions, options);
  progress.Finish();
  if (local) local->Shutdown(absl::Seconds(1));
  if (!results.ok()) {
    err << "ptc eval: " << results.status().message() << "\n";
    return 1;
  }

  std::vector<eval::NStats> rows;
  for (const eval::CellStats& c : results->cells) rows.push_back(c.stats);
  for (const eval::NStats& s : rows) out << NLine(s, eval::SeriesLabel(s, rows)) << "\n";
  out << "\n" << eval::FormatTable(rows);
  if (std::any_of(rows.begin(), rows.end(), [](const eval::NStats& s) { return s.subsampled; })) {
    out << "* N evaluated on the plan-order prefix of the largest N's chains (drawn once)\n";
  }
  out << absl::StrFormat("wall time %.1f s, %u calls made, %u resumed from records\n",
                         absl::ToDoubleSeconds(results->wall_time), results->calls_made,
                         results->calls_resumed);
  int code = 0;
  if (!args.out_dir.empty()) {
    eval::ReportInfo info;
    info.title = args.scenario == kClaude37GpqaScenario
                     ? "Simulated Claude 3.7 Sonnet GPQA scenario: accuracy vs test-time compute"
                     : absl::StrCat("ptc eval: ", options.experiment);
    info.experiment = options.experiment;
    info.dataset = dataset;
    info.questions = static_cast<int>(questions->size());
    info.repeats = args.repeats;
    info.seed = args.seed;
    info.command = args.command;
    if (args.scenario == kClaude37GpqaScenario) {
      info.simulated_note = kClaude37GpqaNote;
    } else if (local) {
      info.simulated_note =
          "SIMULATED: the embedded simulated backend (in-process server), not a real model.";
    }
    info.wall_time_s = absl::ToDoubleSeconds(results->wall_time);
    info.calls_made = results->calls_made;
    info.calls_resumed = results->calls_resumed;
    info.cancelled = results->cancelled;
    if (absl::Status s = eval::WriteResultsCsv(args.out_dir, rows); !s.ok()) {
      err << "ptc eval: " << s.message() << "\n";
      code = 1;
    }
    if (absl::Status s = eval::WriteReport(args.out_dir, info, rows); !s.ok()) {
      err << "ptc eval: " << s.message() << "\n";
      code = 1;
    }
    out << "wrote " << args.out_dir
        << "/{results.csv, results.json, report.md, accuracy_vs_cost.{png,svg}, "
           "accuracy_vs_n.{png,svg}, records.jsonl}\n";
  }
  if (results->cancelled) {
    err << "ptc eval: interrupted; finished calls are in the records"
        << (args.out_dir.empty() ? "" : "; run again with --resume to complete") << "\n";
    out.flush();
    return 130;
  }
  if (results->errors > 0) {
    err << "ptc eval: " << results->errors << " calls failed; first: " << results->first_error
        << "\n";
    code = 1;
  }
  out.flush();
  return code;
}

}  // namespace ptc::client
