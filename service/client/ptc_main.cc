// ptc: the command-line client. `ptc solve` sends one request; `ptc eval` runs an accuracy
// experiment. Options are absl flags; `--some-option` is accepted for `--some_option`.
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
#include "common/cli_flags.h"
#include "service/client/arg_parsing.h"
#include "service/client/eval_command.h"
#include "service/client/solve_command.h"

// Shared by the subcommands; each takes the ones in its usage below.
ABSL_FLAG(std::string, server, "", "gRPC HOST:PORT of ptc-server");
ABSL_FLAG(std::string, n, "", "chains per request (solve); comma-separated list (eval)");
ABSL_FLAG(std::string, backend, "", "backend name; default: the server's default");
ABSL_FLAG(std::string, model, "", "model; default: the backend's default");
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
ABSL_FLAG(std::string, dataset, "", "GPQA-style JSONL dataset");
ABSL_FLAG(std::string, out, "", "directory for results.csv");
ABSL_FLAG(int, repeats, 1, "choice shuffles per question");
ABSL_FLAG(int, concurrency, 8, "Solve calls in flight");
ABSL_FLAG(std::string, experiment, "", "experiment label");
ABSL_FLAG(int, limit, 0, "first Q questions only; 0 = all");
ABSL_FLAG(std::string, launch, "", "launch policy: all, waves:K or waves:K:FIRST");
ABSL_FLAG(std::string, stop, "fixed", "stop rules to sweep: fixed, ac[:threshold], esc[:window]");

namespace {

constexpr char kUsage[] =
    "usage: ptc <command> [options]\n"
    "\n"
    "commands:\n"
    "  solve   send one question to a server and print the selected answer\n"
    "  eval    run an accuracy experiment over a dataset for several N\n"
    "\n"
    "`ptc <command> --help` describes a command's options.\n";

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
    "  --timeout-s S        deadline (default 300)\n";

constexpr char kEvalUsage[] =
    "usage: ptc eval [--dataset FILE] [--n 1,4,16,64] [--out DIR] [options]\n"
    "\n"
    "Runs every question of a GPQA-style JSONL dataset through Solve for each N (one group of N\n"
    "chains, majority vote, graded against the correct letter) and reports accuracy with a 95%\n"
    "bootstrap CI, chains, tokens, cost and latency per N. Without --server it starts a server\n"
    "in-process on the embedded simulated backend, which is given the dataset.\n"
    "\n"
    "  --dataset FILE       JSONL dataset (default: the bundled gpqa_sample.jsonl)\n"
    "  --n LIST             comma-separated N values (default 1,4,16,64)\n"
    "  --out DIR            write DIR/results.csv (default: print only)\n"
    "  --server HOST:PORT   ptc-server (default: in-process)\n"
    "  --repeats R          choice shuffles per question (default 1)\n"
    "  --seed S             base seed of shuffles and chains (default 0)\n"
    "  --concurrency C      Solve calls in flight (default 8)\n"
    "  --experiment LABEL   experiment label (default: the dataset's file name)\n"
    "  --limit Q            first Q questions only (default: all)\n"
    "  --stop LIST          stop rules to sweep: fixed, ac[:threshold], esc[:window]\n"
    "                       (default fixed; early-stopping rules launch in waves)\n"
    "  --launch POLICY      all, waves:K or waves:K:FIRST (default: the rule's own)\n"
    "  --backend B          backend (default: the server's default)\n"
    "  --model M            model (default: the backend's default)\n"
    "  --max-tokens K       output tokens per chain (default: the server's)\n"
    "  --timeout-s S        deadline of each call (default 300)\n";

const std::set<std::string> kSolveFlags = {
    "server", "prompt",  "n",         "backend", "model",      "temperature", "seed",
    "format", "letters", "reference", "json",    "max_tokens", "timeout_s"};
const std::set<std::string> kEvalFlags = {
    "dataset", "n",       "out",   "server",     "repeats",   "seed", "concurrency", "experiment",
    "limit",   "backend", "model", "max_tokens", "timeout_s", "stop", "launch"};
// absl's own flags, allowed everywhere.
const std::set<std::string> kBuiltinFlags = {"flagfile", "fromenv", "tryfromenv", "undefok"};

// Rewrites `--some-name[=v]` as `--some_name[=v]` (common/cli_flags.h) and checks that every
// flag belongs to the command. Returns false (after printing) for a flag of another command.
bool NormalizeArgs(const std::string& command, const std::set<std::string>& allowed,
                   std::vector<std::string>& args) {
  for (const std::string& flag : ptc::NormalizeFlagDashes(args)) {
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

int Eval(const std::vector<char*>& positional) {
  if (positional.size() > 1) {
    std::fprintf(stderr, "ptc eval: unexpected argument \"%s\"\n", positional[1]);
    return 2;
  }
  ptc::client::EvalArgs args;
  args.dataset = absl::GetFlag(FLAGS_dataset);
  if (!absl::GetFlag(FLAGS_n).empty()) {
    auto ns = ptc::client::ParseNList("n", absl::GetFlag(FLAGS_n));
    if (!Check("eval", ns)) return 2;
    args.ns = *ns;
  }
  auto stops = ptc::client::ParseStopList("stop", absl::GetFlag(FLAGS_stop));
  if (!Check("eval", stops)) return 2;
  args.stops = *stops;
  auto launch = ptc::client::ParseLaunch("launch", absl::GetFlag(FLAGS_launch));
  if (!Check("eval", launch)) return 2;
  args.launch = *launch;
  args.out_dir = absl::GetFlag(FLAGS_out);
  args.server = absl::GetFlag(FLAGS_server);
  args.repeats = absl::GetFlag(FLAGS_repeats);
  if (!absl::GetFlag(FLAGS_seed).empty()) {
    auto s = ptc::client::ParseUint64("seed", absl::GetFlag(FLAGS_seed));
    if (!Check("eval", s)) return 2;
    args.seed = *s;
  }
  args.concurrency = absl::GetFlag(FLAGS_concurrency);
  args.experiment = absl::GetFlag(FLAGS_experiment);
  args.limit = absl::GetFlag(FLAGS_limit);
  args.backend = absl::GetFlag(FLAGS_backend);
  args.model = absl::GetFlag(FLAGS_model);
  args.max_tokens = absl::GetFlag(FLAGS_max_tokens);
  if (!(absl::GetFlag(FLAGS_timeout_s) > 0)) {
    std::fprintf(stderr, "ptc eval: --timeout_s: must be positive\n");
    return 2;
  }
  args.timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout_s));
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
  if (!NormalizeArgs(command, solve ? kSolveFlags : kEvalFlags, args)) return 2;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  absl::SetProgramUsageMessage(solve ? kSolveUsage : kEvalUsage);
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(cargv.size()), cargv.data());
  return solve ? Solve(positional) : Eval(positional);
}
