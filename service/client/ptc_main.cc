// ptc: the command-line client. `ptc solve` sends one request; `ptc eval` runs an accuracy
// experiment. Options are absl flags; `--some-option` is accepted for `--some_option`.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "bench/eval/experiment.h"
#include "common/cli_flags.h"
#include "service/client/arg_parsing.h"
#include "service/client/connection.h"
#include "service/client/eval_command.h"
#include "service/client/solve_command.h"
#include "service/client/train_policy_command.h"
#include "service/client/train_scorer_command.h"

// Shared by the subcommands; each takes the ones in its usage below.
ABSL_FLAG(std::string, server, "", "gRPC HOST:PORT of ptc-server");
ABSL_FLAG(std::string, n, "", "chains per request (solve); comma-separated list (eval)");
ABSL_FLAG(std::string, backend, "", "backend name (eval: a list); default: the server's default");
ABSL_FLAG(std::string, model, "", "model (eval: a list); default: the backend's default");
ABSL_FLAG(std::string, seed, "", "sampling seed");
ABSL_FLAG(uint32_t, max_tokens, 0, "output tokens per chain; 0 = the server's default");
ABSL_FLAG(double, timeout_s, 300, "deadline of each call, seconds");
// solve
ABSL_FLAG(std::string, prompt, "", "the question");
ABSL_FLAG(std::string, temperature, "", "sampling temperature; default: the backend's");
ABSL_FLAG(std::string, format, "mc", "answer format: mc, number or text");
ABSL_FLAG(std::string, letters, "", "multiple-choice letters; default ABCD");
ABSL_FLAG(std::string, reference, "", "reference answer, to grade the response");
ABSL_FLAG(bool, json, false, "print the SolveResponse as JSON");
// eval
ABSL_FLAG(std::string, dataset, "", "dataset: GPQA CSV, multiple-choice or numeric JSONL");
ABSL_FLAG(std::string, dataset_format, "auto", "auto, gpqa-csv, mcq-jsonl or numeric-jsonl");
ABSL_FLAG(std::string, prompt_template, "", "prompt template file");
ABSL_FLAG(std::string, out, "", "directory for results, report, plots and records");
ABSL_FLAG(std::string, strategy, "majority",
          "strategies to sweep: majority, weighted[:W], filtered[:W], verifier[:AUC], "
          "learned[:MODEL], usc");
ABSL_FLAG(std::string, thinking_budget, "0", "thinking budgets to sweep (tokens; 0 = none)");
ABSL_FLAG(bool, resume, false, "continue from OUT/records.jsonl");
ABSL_FLAG(bool, subsample, true, "draw the largest N once and evaluate smaller N on prefixes");
ABSL_FLAG(std::string, scenario, "", "a preset: claude37-gpqa");
ABSL_FLAG(std::string, progress, "auto", "progress display: auto, bar or plain");
ABSL_FLAG(int, repeats, 1, "choice shuffles per question");
ABSL_FLAG(int, concurrency, 8, "Solve calls in flight");
ABSL_FLAG(std::string, experiment, "", "experiment label");
ABSL_FLAG(int, limit, 0, "first Q questions only; 0 = all");
ABSL_FLAG(std::string, launch, "", "launch policy: all, waves:K or waves:K:FIRST");
ABSL_FLAG(std::string, compute, "fixed",
          "compute policies to sweep: fixed, auto[:probe=P,settled=X,escalate=B,policy=NAME,"
          "budget=B] (';' between policies)");
ABSL_FLAG(std::string, stop, "fixed",
          "stop rules to sweep: fixed, ac[:threshold], esc[:window], "
          "deepconf[:warmup[:window[:consensus]]]");

namespace {

constexpr char kUsage[] =
    "usage: ptc <command> [options]\n"
    "\n"
    "commands:\n"
    "  solve   send one question to a server and print the selected answer\n"
    "  eval    run an accuracy experiment over a dataset for several N\n"
    "  hash-key  read an API key on stdin, print its SHA-256 for the server's tenants config\n"
    "  train-scorer  fit the learned strategy's scorer on ptc eval records\n"
    "  train-policy  fit the auto compute policy's thinking policy on ptc eval records\n"
    "\n"
    "`ptc <command> --help` describes a command's options. solve and eval also take the\n"
    "connection options:\n"
    "  --tls-ca FILE        PEM CA of the server's certificate; set = TLS (default plaintext)\n"
    "  --tls-cert FILE, --tls-key FILE  client certificate and key, for mTLS\n"
    "  --tls-server-name N  name to check in the server's certificate (default: the host)\n"
    "  --api-key-env VAR    environment variable holding the API key, sent as x-api-key\n"
    "                       (default PTC_API_KEY; never give a key on the command line)\n";

constexpr char kHashKeyUsage[] =
    "usage: ptc hash-key < KEYFILE\n"
    "\n"
    "Reads an API key (one line) on stdin and prints its hex SHA-256, for\n"
    "tenants { api_key_sha256: \"...\" } in the server config. The key is never an argument, so\n"
    "it stays out of shell history and ps.\n";

constexpr char kSolveUsage[] =
    "usage: ptc solve --prompt TEXT [options]\n"
    "\n"
    "Sends one Solve request (one group of N chains, majority vote) and prints the answer, its\n"
    "confidence, the votes per candidate, chains by outcome, tokens, cost and duration.\n"
    "\n"
    "  --server HOST:PORT   ptc-server (default 127.0.0.1:50051)\n"
    "  --prompt TEXT        the question (or give it as the one positional argument)\n"
    "  --n N                chains (default 1)\n"
    "  --backend B          backend (default: the server's default)\n"
    "  --model M            model (default: the backend's default)\n"
    "  --temperature T      sampling temperature (default: the backend's)\n"
    "  --seed S             chain i gets seed S + i (default: random)\n"
    "  --max-tokens K       output tokens per chain (default: the server's)\n"
    "  --format mc|number|text   how answers are read (default mc)\n"
    "  --letters ABCD       multiple-choice letters (default ABCD)\n"
    "  --reference R        grade the answer against R\n"
    "  --json               print the SolveResponse as JSON\n"
    "  --timeout-s S        deadline (default 300)\n"
    "  --tls-ca, --tls-cert, --tls-key, --tls-server-name, --api-key-env  see ptc --help\n";

constexpr char kEvalUsage[] =
    "usage: ptc eval [--dataset FILE] [--n 1,4,16,64] [--out DIR] [options]\n"
    "\n"
    "Runs every question of a GPQA-style JSONL dataset through Solve for each N (one group of N\n"
    "chains, majority vote, graded against the correct letter) and reports accuracy with a 95%\n"
    "bootstrap CI, chains, tokens, cost and latency per N. Without --server it starts a server\n"
    "in-process on the embedded simulated backend, which is given the dataset.\n"
    "\n"
    "  --dataset FILE       GPQA CSV as distributed, multiple-choice JSONL, or numeric-answer\n"
    "                       JSONL (default: the bundled gpqa_sample.jsonl)\n"
    "  --dataset-format F   auto (default), gpqa-csv, mcq-jsonl or numeric-jsonl\n"
    "  --prompt-template F  template file with {question}, {choices}, {letters}\n"
    "                       (default: the simple-evals prompt)\n"
    "  --n LIST             comma-separated N values (default 1,4,16,64)\n"
    "  --strategy LIST      majority, weighted, filtered, verifier, learned, usc (default\n"
    "                       majority);\n"
    "                       weighted:W, filtered:W set the confidence window (tokens);\n"
    "                       verifier:AUC grades with a simulated verifier of that AUC;\n"
    "                       learned:MODEL scores with that scorer (default sim-gpqa)\n"
    "  --thinking-budget LIST  reasoning-token budgets (default 0 = none)\n"
    "  --out DIR            write results.csv, results.json, report.md, plots (PNG, SVG) and\n"
    "                       records.jsonl (one line per finished call) into DIR\n"
    "  --resume             continue an interrupted run from DIR/records.jsonl\n"
    "  --subsample=false    run every N for real (default: where valid, draw the largest N once\n"
    "                       and evaluate smaller N on prefixes of its chains)\n"
    "  --scenario claude37-gpqa  the simulated Claude 3.7 Sonnet GPQA preset: N 1..64, majority,\n"
    "                       weighted and filtered, 3 repeats; explicit flags override\n"
    "  --progress auto|bar|plain  progress on stderr (default: a bar on a terminal)\n"
    "  --server HOST:PORT   ptc-server (default: in-process)\n"
    "  --repeats R          choice shuffles per question (default 1)\n"
    "  --seed S             base seed of shuffles and chains (default 0)\n"
    "  --concurrency C      Solve calls in flight (default 8)\n"
    "  --experiment LABEL   experiment label (default: the dataset's file name)\n"
    "  --limit Q            first Q questions only (default: all)\n"
    "  --stop LIST          stop rules to sweep: fixed, ac[:threshold], esc[:window],\n"
    "                       deepconf[:warmup[:window[:consensus]]] (DeepConf online)\n"
    "                       (default fixed; early-stopping rules launch in waves)\n"
    "  --launch POLICY      all, waves:K or waves:K:FIRST (default: the rule's own)\n"
    "  --compute LIST       compute policies, ';'-separated: fixed (default) or\n"
    "                       auto[:probe=P,settled=X,escalate=B,policy=NAME,budget=B]: a probe\n"
    "                       wave, then the rest of N only for contested questions\n"
    "  --backend LIST       backends (default: the server's default)\n"
    "  --model LIST         models (default: the backend's default)\n"
    "  --max-tokens K       output tokens per chain (default: the server's)\n"
    "  --timeout-s S        deadline of each call (default 300)\n"
    "  --tls-ca, --tls-cert, --tls-key, --tls-server-name, --api-key-env  with --server; see\n"
    "                       ptc --help\n"
    "\n"
    "Ctrl-C stops cleanly: finished calls stay in DIR/records.jsonl; --resume completes the run.\n";

const std::set<std::string> kSolveFlags = {
    "server", "prompt",  "n",         "backend", "model",      "temperature", "seed",
    "format", "letters", "reference", "json",    "max_tokens", "timeout_s"};
const std::set<std::string> kEvalFlags = {
    "dataset",     "n",          "out",      "server",         "repeats",         "seed",
    "concurrency", "experiment", "limit",    "backend",        "model",           "max_tokens",
    "timeout_s",   "stop",       "launch",   "strategy",       "thinking_budget", "resume",
    "subsample",   "scenario",   "progress", "dataset_format", "prompt_template", "compute"};
// The flags given on the command line (by their underscore names).
std::set<std::string> g_given;

// absl's own flags, allowed everywhere.
const std::set<std::string> kBuiltinFlags = {"flagfile", "fromenv", "tryfromenv", "undefok"};

// Rewrites `--some-name[=v]` as `--some_name[=v]` (common/cli_flags.h) and checks that every
// flag belongs to the command. Returns false (after printing) for a flag of another command.
bool NormalizeArgs(const std::string& command, const std::set<std::string>& allowed,
                   std::vector<std::string>& args) {
  for (const std::string& flag : ptc::NormalizeFlagDashes(args)) {
    g_given.insert(flag);
    if (!allowed.count(flag) && !kBuiltinFlags.count(flag)) {
      std::fprintf(stderr, "ptc %s: --%s is not an option of this command (see ptc %s --help)\n",
                   command.c_str(), flag.c_str(), command.c_str());
      return false;
    }
  }
  return true;
}

template <typename T>
bool Check(const std::string& command, const absl::StatusOr<T>& v) {
  if (v.ok()) return true;
  std::fprintf(stderr, "ptc %s: %s\n", command.c_str(), std::string(v.status().message()).c_str());
  return false;
}

int Solve(const std::vector<char*>& positional) {
  ptc::client::SolveArgs args;
  if (!absl::GetFlag(FLAGS_server).empty()) args.server = absl::GetFlag(FLAGS_server);
  args.prompt = absl::GetFlag(FLAGS_prompt);
  if (positional.size() > 2 || (positional.size() == 2 && !args.prompt.empty())) {
    std::fprintf(stderr, "ptc solve: unexpected argument \"%s\"\n", positional.back());
    return 2;
  }
  if (positional.size() == 2) args.prompt = positional[1];
  if (!absl::GetFlag(FLAGS_n).empty()) {
    auto n = ptc::client::ParsePositiveUint32("n", absl::GetFlag(FLAGS_n));
    if (!Check("solve", n)) return 2;
    args.n = *n;
  }
  args.backend = absl::GetFlag(FLAGS_backend);
  args.model = absl::GetFlag(FLAGS_model);
  if (!absl::GetFlag(FLAGS_temperature).empty()) {
    auto t = ptc::client::ParseFloat("temperature", absl::GetFlag(FLAGS_temperature));
    if (!Check("solve", t)) return 2;
    args.temperature = *t;
  }
  if (!absl::GetFlag(FLAGS_seed).empty()) {
    auto s = ptc::client::ParseUint64("seed", absl::GetFlag(FLAGS_seed));
    if (!Check("solve", s)) return 2;
    args.seed = *s;
  }
  args.format = absl::GetFlag(FLAGS_format);
  args.letters = absl::GetFlag(FLAGS_letters);
  args.reference = absl::GetFlag(FLAGS_reference);
  args.max_tokens = absl::GetFlag(FLAGS_max_tokens);
  args.json = absl::GetFlag(FLAGS_json);
  if (!(absl::GetFlag(FLAGS_timeout_s) > 0)) {
    std::fprintf(stderr, "ptc solve: --timeout_s: must be positive\n");
    return 2;
  }
  args.timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout_s));
  return ptc::client::RunSolveCommand(args, std::cout, std::cerr);
}

// Set by SIGINT/SIGTERM during `ptc eval`; a second signal ends the process at once.
std::atomic<bool> g_cancel{false};

void OnTerminationSignal(int sig) {
  g_cancel.store(true);
  std::signal(sig, SIG_DFL);
}

bool Given(const char* name) { return g_given.count(name) > 0; }

int Eval(const std::vector<char*>& positional, const std::string& command_line) {
  if (positional.size() > 1) {
    std::fprintf(stderr, "ptc eval: unexpected argument \"%s\"\n", positional[1]);
    return 2;
  }
  ptc::client::EvalArgs args;
  args.command = command_line;
  args.scenario = absl::GetFlag(FLAGS_scenario);
  if (args.scenario == ptc::client::kClaude37GpqaScenario) {
    // The preset; explicit flags override it below.
    args.ns = {1, 2, 4, 8, 16, 32, 64};
    args.strategies = {"majority", "weighted", "filtered"};
    args.repeats = 3;
    args.concurrency = 32;
    args.experiment = "claude37-gpqa-sim";
  }
  args.dataset = absl::GetFlag(FLAGS_dataset);
  args.dataset_format = absl::GetFlag(FLAGS_dataset_format);
  args.prompt_template_file = absl::GetFlag(FLAGS_prompt_template);
  if (!absl::GetFlag(FLAGS_n).empty()) {
    auto ns = ptc::client::ParseNList("n", absl::GetFlag(FLAGS_n));
    if (!Check("eval", ns)) return 2;
    args.ns = *ns;
  }
  if (Given("strategy") || args.scenario.empty()) {
    auto strategies = ptc::client::ParseNameList("strategy", absl::GetFlag(FLAGS_strategy));
    if (!Check("eval", strategies)) return 2;
    args.strategies = *strategies;
  }
  auto budgets =
      ptc::client::ParseUintList("thinking_budget", absl::GetFlag(FLAGS_thinking_budget));
  if (!Check("eval", budgets)) return 2;
  args.thinking_budgets = *budgets;
  auto backends = ptc::client::ParseNameList("backend", absl::GetFlag(FLAGS_backend));
  if (!Check("eval", backends)) return 2;
  args.backends = *backends;
  auto models = ptc::client::ParseNameList("model", absl::GetFlag(FLAGS_model));
  if (!Check("eval", models)) return 2;
  args.models = *models;
  args.resume = absl::GetFlag(FLAGS_resume);
  args.subsample = absl::GetFlag(FLAGS_subsample);
  const std::string progress = absl::GetFlag(FLAGS_progress);
  if (progress == "bar") {
    args.progress = 1;
  } else if (progress == "plain") {
    args.progress = 0;
  } else if (progress != "auto") {
    std::fprintf(stderr, "ptc eval: --progress: \"%s\" is not auto, bar or plain\n",
                 progress.c_str());
    return 2;
  }
  auto stops = ptc::client::ParseStopList("stop", absl::GetFlag(FLAGS_stop));
  if (!Check("eval", stops)) return 2;
  args.stops = *stops;
  args.computes.clear();
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_compute), ';')) {
    auto compute = ptc::eval::ComputeByName(std::string(name));
    if (!compute.ok()) {
      std::fprintf(stderr, "ptc eval: --compute: %s\n",
                   std::string(compute.status().message()).c_str());
      return 2;
    }
    args.computes.push_back(*compute);
  }
  auto launch = ptc::client::ParseLaunch("launch", absl::GetFlag(FLAGS_launch));
  if (!Check("eval", launch)) return 2;
  args.launch = *launch;
  args.out_dir = absl::GetFlag(FLAGS_out);
  args.server = absl::GetFlag(FLAGS_server);
  if (Given("repeats") || args.scenario.empty()) args.repeats = absl::GetFlag(FLAGS_repeats);
  if (!absl::GetFlag(FLAGS_seed).empty()) {
    auto s = ptc::client::ParseUint64("seed", absl::GetFlag(FLAGS_seed));
    if (!Check("eval", s)) return 2;
    args.seed = *s;
  }
  if (Given("concurrency") || args.scenario.empty()) {
    args.concurrency = absl::GetFlag(FLAGS_concurrency);
  }
  if (Given("experiment") || args.scenario.empty()) {
    args.experiment = absl::GetFlag(FLAGS_experiment);
  }
  args.limit = absl::GetFlag(FLAGS_limit);
  args.max_tokens = absl::GetFlag(FLAGS_max_tokens);
  if (!(absl::GetFlag(FLAGS_timeout_s) > 0)) {
    std::fprintf(stderr, "ptc eval: --timeout_s: must be positive\n");
    return 2;
  }
  args.timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout_s));
  args.cancel = &g_cancel;
  std::signal(SIGINT, OnTerminationSignal);
  std::signal(SIGTERM, OnTerminationSignal);
  return ptc::client::RunEvalCommand(args, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command.empty() || command == "--help" || command == "-h" || command == "help" ||
      command == "--helpfull") {
    std::fputs(kUsage, command.empty() ? stderr : stdout);
    return command.empty() ? 2 : 0;
  }
  if (command == "hash-key") {
    if (argc > 2) {  // --help, or a key given as an argument by mistake
      const std::string a = argv[2];
      const bool help = a == "--help" || a == "-h";
      std::fputs(kHashKeyUsage, help ? stdout : stderr);
      return help ? 0 : 2;
    }
    return ptc::client::RunHashKeyCommand(std::cin, std::cout, std::cerr);
  }
  if (command == "train-policy") {
    return ptc::client::RunTrainPolicyCommand({argv + 2, argv + argc}, std::cout, std::cerr);
  }
  if (command == "train-scorer") {
    return ptc::client::RunTrainScorerCommand({argv + 2, argv + argc}, std::cout, std::cerr);
  }
  const bool solve = command == "solve";
  if (!solve && command != "eval") {
    std::fprintf(stderr, "ptc: unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
    return 2;
  }
  // argv without the command: the program name, then the command's arguments.
  std::vector<std::string> args = {argv[0]};
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a == "--help" || a == "-h" || a == "-help" || a == "--helpfull" || a == "--helpshort") {
      std::fputs(solve ? kSolveUsage : kEvalUsage, stdout);
      return 0;
    }
  }
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  std::set<std::string> allowed = solve ? kSolveFlags : kEvalFlags;
  allowed.insert(std::begin(ptc::client::kConnectionFlags),
                 std::end(ptc::client::kConnectionFlags));
  if (!NormalizeArgs(command, allowed, args)) return 2;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  absl::SetProgramUsageMessage(solve ? kSolveUsage : kEvalUsage);
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(cargv.size()), cargv.data());
  std::string command_line = "ptc";
  for (int i = 1; i < argc; ++i) absl::StrAppend(&command_line, " ", argv[i]);
  return solve ? Solve(positional) : Eval(positional, command_line);
}
