#include "bench/eval/eval_runner.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/constraints.h"
#include "grpcpp/client_context.h"
#include "samplers/sim/sim_model.h"

namespace ptc::eval {
namespace {

// Repeats are folded into the seed as question * 1000 + repeat.
constexpr int kMaxRepeats = 1000;
constexpr size_t kMaxRequestIdBytes = 200;

// One Solve call: owned by RunSolveCalls until issued, by gRPC's callback until it completes,
// then by RunSolveCalls again.
struct Call {
  grpc::ClientContext context;
  v1::SolveRequest request;
  CallOutcome outcome;
  absl::Time start;
};

// What the callbacks share with the calling thread.
struct Completions {
  std::mutex mu;  // guards done
  std::condition_variable changed;
  std::deque<Call*> done;
};

absl::Status ValidateOptions(const std::vector<McqQuestion>& questions, const EvalOptions& o) {
  if (questions.empty()) return absl::InvalidArgumentError("the dataset has no questions");
  if (o.ns.empty()) return absl::InvalidArgumentError("no N values given");
  for (uint32_t n : o.ns) {
    if (n == 0) return absl::InvalidArgumentError("N must be at least 1");
  }
  if (o.repeats < 1 || o.repeats > kMaxRepeats) {
    return absl::InvalidArgumentError(absl::StrCat("repeats must be in [1, ", kMaxRepeats, "]"));
  }
  if (o.max_in_flight < 1) return absl::InvalidArgumentError("max_in_flight must be at least 1");
  if (o.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

RequestResult ToRequestResult(const CallOutcome& call, int question, int repeat, uint32_t n) {
  RequestResult r;
  r.question = question;
  r.repeat = repeat;
  r.n = n;
  r.latency_s = call.latency_s;
  if (!call.status.ok()) {
    // absl::StatusCode and grpc::StatusCode share their numbering.
    r.error = absl::StrCat(
        absl::StatusCodeToString(static_cast<absl::StatusCode>(call.status.error_code())), ": ",
        call.status.error_message());
    return r;
  }
  const v1::SolveResponse& resp = call.response;
  if (!resp.has_correct()) {
    r.error = "INTERNAL: the response does not say whether the answer was correct";
    return r;
  }
  r.ok = true;
  r.correct = resp.correct();
  r.chains = resp.ledger().chains_launched();
  const v1::TokenUsage& t = resp.ledger().tokens();
  r.tokens = t.prompt_tokens() + t.completion_tokens() + t.reasoning_tokens();
  r.cost_usd = resp.ledger().cost_usd();
  return r;
}

size_t RunSolveCalls(v1::Orchestrator::StubInterface::async_interface& async, size_t count,
                     const std::function<v1::SolveRequest(size_t)>& make, int max_in_flight,
                     absl::Duration timeout, const std::atomic<bool>* cancel,
                     const std::function<void(CallOutcome&)>& done) {
  Completions completions;
  std::set<Call*> in_flight;  // owned; only this thread touches the set
  size_t issued = 0;
  bool cancelling = false;
  while (true) {
    if (!cancelling && cancel != nullptr && cancel->load()) {
      cancelling = true;
      for (Call* c : in_flight) c->context.TryCancel();
    }
    while (!cancelling && issued < count && static_cast<int>(in_flight.size()) < max_in_flight) {
      auto call = std::make_unique<Call>();
      call->outcome.index = issued;
      call->request = make(issued);
      call->context.set_deadline(std::chrono::system_clock::now() +
                                 absl::ToChronoMilliseconds(timeout));
      call->start = absl::Now();
      Call* raw = call.release();
      in_flight.insert(raw);
      async.Solve(&raw->context, &raw->request, &raw->outcome.response,
                  [raw, &completions](grpc::Status status) {
                    raw->outcome.status = std::move(status);
                    raw->outcome.latency_s = absl::ToDoubleSeconds(absl::Now() - raw->start);
                    // Notified under the lock: the caller returns once the last call is
                    // done, and `completions` goes with it.
                    std::lock_guard<std::mutex> lock(completions.mu);
                    completions.done.push_back(raw);
                    completions.changed.notify_one();
                  });
      ++issued;
    }
    if (in_flight.empty()) break;
    std::deque<Call*> finished;
    {
      std::unique_lock<std::mutex> lock(completions.mu);
      completions.changed.wait_for(lock, std::chrono::milliseconds(100),
                                   [&completions] { return !completions.done.empty(); });
      finished.swap(completions.done);
    }
    for (Call* raw : finished) {
      std::unique_ptr<Call> call(raw);
      in_flight.erase(raw);
      call->outcome.cancelled = cancelling;
      done(call->outcome);
    }
  }
  return issued;
}

uint64_t QuestionSeed(uint64_t base_seed, int question, int repeat) {
  return sim::MixSeed(
      base_seed, static_cast<uint64_t>(question) * kMaxRepeats + static_cast<uint64_t>(repeat));
}

v1::SolveRequest BuildRequest(const McqQuestion& question, int question_index, int repeat,
                              uint32_t n, const EvalOptions& options) {
  const uint64_t seed = QuestionSeed(options.base_seed, question_index, repeat);
  const McqPrompt prompt = FormatMcqPrompt(question, seed, options.prompt_template);
  v1::SolveRequest req;
  v1::Message* m = req.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content(prompt.text);
  if (question.instruction()) {
    *req.mutable_answer_format() = InstructionAnswerFormat(question);
  } else if (question.numeric) {
    req.mutable_answer_format()->mutable_number();
  } else {
    req.mutable_answer_format()->mutable_multiple_choice()->set_letters(prompt.letters);
  }
  v1::SamplingGroup* g = req.add_sampling();
  g->set_backend(options.backend);
  g->set_model(options.model);
  g->set_n(n);
  g->set_max_tokens(options.max_tokens);
  g->set_seed(seed);
  g->set_thinking_budget(options.thinking_budget);
  *req.mutable_aggregation() = options.aggregation;
  if (options.aggregation.strategy_case() == v1::Aggregation::STRATEGY_NOT_SET) {
    req.mutable_aggregation()->mutable_majority();
  }
  *req.mutable_stop() = options.stop;
  *req.mutable_launch() = options.launch;
  *req.mutable_compute() = options.compute;
  // An instruction item is graded by its constraints; any reference asks for grading.
  req.set_reference_answer(question.instruction() ? std::string(kConstraintsReference)
                           : question.numeric     ? question.correct_answer
                                                  : std::string(1, prompt.correct_letter));
  req.set_experiment(options.experiment);
  std::string id = absl::StrCat(question.id, "/r", repeat, "/n", n);
  if (id.size() > kMaxRequestIdBytes) id = absl::StrCat("q", question_index, "/r", repeat, "/n", n);
  req.set_request_id(std::move(id));
  return req;
}

absl::StatusOr<EvalResults> RunEval(v1::Orchestrator::StubInterface& stub,
                                    const std::vector<McqQuestion>& questions,
                                    const EvalOptions& options) {
  if (absl::Status s = ValidateOptions(questions, options); !s.ok()) return s;
  v1::Orchestrator::StubInterface::async_interface* async = stub.async();
  if (async == nullptr) return absl::InvalidArgumentError("the stub has no callback API");

  const absl::Time started = absl::Now();
  const size_t per_n = questions.size() * static_cast<size_t>(options.repeats);
  const size_t total = per_n * options.ns.size();
  EvalResults results;
  results.by_n.assign(options.ns.size(), std::vector<RequestResult>(per_n));
  std::vector<size_t> remaining(options.ns.size(), per_n);
  // Requests go out N by N, then question by question, then repeat by repeat.
  auto where = [&](size_t i) {
    const size_t slot = i % per_n;
    return std::make_tuple(i / per_n, slot, static_cast<int>(slot / options.repeats),
                           static_cast<int>(slot % options.repeats));
  };
  RunSolveCalls(
      *async, total,
      [&](size_t i) {
        auto [n_index, slot, q, r] = where(i);
        return BuildRequest(questions[q], q, r, options.ns[n_index], options);
      },
      options.max_in_flight, options.timeout, /*cancel=*/nullptr,
      [&](CallOutcome& outcome) {
        auto [n_index, slot, q, r] = where(outcome.index);
        const uint32_t n = options.ns[n_index];
        RequestResult res = ToRequestResult(outcome, q, r, n);
        if (!res.ok && results.errors++ == 0) results.first_error = res.error;
        results.by_n[n_index][slot] = std::move(res);
        if (--remaining[n_index] == 0 && options.on_n_done) {
          options.on_n_done(n, results.by_n[n_index]);
        }
      });
  results.wall_time = absl::Now() - started;
  return results;
}

}  // namespace ptc::eval
