#include "service/client/solve_command.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/client/connection.h"
#include "service/status_util.h"

namespace ptc::client {

absl::StatusOr<v1::SolveRequest> BuildSolveRequest(const SolveArgs& args) {
  if (args.prompt.empty()) return absl::InvalidArgumentError("--prompt: missing");
  if (args.n == 0) return absl::InvalidArgumentError("--n: must be at least 1");
  v1::SolveRequest req;
  v1::Message* m = req.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content(args.prompt);
  if (args.format == "mc") {
    req.mutable_answer_format()->mutable_multiple_choice()->set_letters(args.letters);
  } else if (!args.letters.empty()) {
    return absl::InvalidArgumentError("--letters: only with --format mc");
  } else if (args.format == "number") {
    req.mutable_answer_format()->mutable_number();
  } else if (args.format == "text") {
    req.mutable_answer_format()->mutable_exact_text();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: \"", args.format, "\" is not mc, number or text"));
  }
  v1::SamplingGroup* g = req.add_sampling();
  g->set_backend(args.backend);
  g->set_model(args.model);
  g->set_n(args.n);
  g->set_max_tokens(args.max_tokens);
  if (args.temperature.has_value()) g->set_temperature(*args.temperature);
  if (args.seed.has_value()) g->set_seed(*args.seed);
  req.mutable_aggregation()->mutable_majority();
  req.set_reference_answer(args.reference);
  return req;
}

std::string FormatSolveResponse(const v1::SolveResponse& r) {
  std::string out;
  auto line = [&out](absl::string_view label, absl::string_view value) {
    absl::StrAppend(&out, absl::StrFormat("%-10s %s\n", label, value));
  };
  if (r.answer().empty()) {
    line("answer", "(none: no chain gave a parseable answer)");
  } else {
    line("answer", absl::StrFormat("%s  (confidence %.3f)", r.answer(), r.confidence()));
  }
  std::vector<std::string> votes;
  for (const v1::Candidate& c : r.candidates()) {
    votes.push_back(absl::StrFormat("%s %u (%.1f%%)", c.answer(), c.votes(), 100 * c.share()));
  }
  line("votes", votes.empty() ? "-" : absl::StrJoin(votes, ", "));
  if (r.has_correct()) {
    line("correct",
         absl::StrCat(r.correct() ? "yes" : "no", " (reference ", r.reference_answer(), ")"));
  }
  const v1::Ledger& l = r.ledger();
  std::string chains =
      absl::StrCat(l.chains_succeeded(), " ok, ", l.chains_failed(), " failed, ",
                   l.chains_cancelled(), " cancelled, ", r.unparseable_chains(), " unparseable (",
                   l.chains_launched(), " launched of ", l.chains_planned(), " planned");
  if (l.chains_dropped_for_budget() > 0) {
    absl::StrAppend(&chains, ", ", l.chains_dropped_for_budget(), " dropped for budget");
  }
  line("chains", absl::StrCat(chains, ")"));
  const v1::TokenUsage& t = l.tokens();
  line("tokens",
       absl::StrCat(t.prompt_tokens(), " prompt, ", t.completion_tokens(), " completion, ",
                    t.reasoning_tokens(), " reasoning (",
                    t.prompt_tokens() + t.completion_tokens() + t.reasoning_tokens(), " total)"));
  line("cost", absl::StrFormat("$%.6f", l.cost_usd()));
  line("duration", absl::StrFormat("%.3f s", r.duration_s()));
  return out;
}

std::string SolveResponseJson(const v1::SolveResponse& response) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  auto status = google::protobuf::util::MessageToJsonString(response, &json, options);
  // Only fails for messages with unresolvable Any fields, which SolveResponse has none of.
  if (!status.ok()) return absl::StrCat("{\"error\": \"", status.ToString(), "\"}");
  return json;
}

int RunSolveCommand(const SolveArgs& args, std::ostream& out, std::ostream& err) {
  auto req = BuildSolveRequest(args);
  if (!req.ok()) {
    err << "ptc solve: " << req.status().message() << "\n";
    return 2;
  }
  auto channel = MakeChannel(args.server);
  if (!channel.ok()) {
    err << "ptc solve: " << channel.status().message() << "\n";
    return 2;
  }
  auto stub = v1::Orchestrator::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(args.timeout));
  v1::SolveResponse response;
  grpc::Status status = stub->Solve(&context, *req, &response);
  if (!status.ok()) {
    err << "ptc solve: " << GrpcCodeName(status.error_code()) << ": " << status.error_message()
        << "\n";
    return 1;
  }
  if (args.json) {
    out << SolveResponseJson(response) << "\n";
  } else {
    out << FormatSolveResponse(response);
  }
  out.flush();
  return 0;
}

}  // namespace ptc::client
