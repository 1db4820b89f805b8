#include "bench/eval/experiment.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/eval/eval_runner.h"
#include "bench/eval/records.h"
#include "service/compute/prompt_features.h"

namespace ptc::eval {
namespace {

// The prompt's features as the server computes them for a thinking policy (the messages joined
// as compute::PromptFeatures joins them).
std::vector<float> RequestPromptFeatures(const v1::SolveRequest& request) {
  std::string text;
  for (const v1::Message& m : request.messages()) absl::StrAppend(&text, m.content(), "\n");
  return compute::PromptFeatures(text);
}

// A call: which series, which N, which question and repeat.
struct Job {
  size_t series = 0;
  uint32_t n = 0;
  int question = 0;
  int repeat = 0;
};

std::string JobKey(const std::string& series, uint32_t n, int question, int repeat) {
  return absl::StrCat(series, "#", n, "#", question, "#", repeat);
}

absl::Status Validate(const std::vector<McqQuestion>& questions, const ExperimentOptions& o) {
  if (questions.empty()) return absl::InvalidArgumentError("the dataset has no questions");
  if (o.ns.empty()) return absl::InvalidArgumentError("no N values given");
  if (o.series.empty()) return absl::InvalidArgumentError("no series given");
  std::set<std::string> keys;
  for (const Series& s : o.series) {
    if (!keys.insert(s.Key()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("series \"", s.Key(), "\" is given twice (e.g. a stop rule listed twice)"));
    }
  }
  for (uint32_t n : o.ns) {
    if (n == 0) return absl::InvalidArgumentError("N must be at least 1");
  }
  if (o.repeats < 1 || o.repeats > 1000) {
    return absl::InvalidArgumentError("repeats must be in [1, 1000]");
  }
  if (o.max_in_flight < 1) return absl::InvalidArgumentError("max_in_flight must be at least 1");
  if (o.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

std::string Series::Key() const {
  return absl::StrCat(strategy, "|", stop, "|", thinking_budget, "|", backend, "|", model);
}

bool Series::Subsamplable() const {
  const bool majority = aggregation.strategy_case() == v1::Aggregation::STRATEGY_NOT_SET ||
                        aggregation.has_majority();
  const bool fixed = stop_rule.rule_case() == v1::StopRule::RULE_NOT_SET || stop_rule.has_fixed();
  return majority && fixed && !compute.has_auto_();
}

absl::StatusOr<v1::Aggregation> AggregationByName(const std::string& name) {
  v1::Aggregation a;
  // weighted:W and filtered:W: the confidence group window.
  auto window = [&name](const std::string& prefix) -> absl::StatusOr<uint32_t> {
    uint32_t w = 0;
    if (!absl::SimpleAtoi(name.substr(prefix.size()), &w) || w == 0 || w > kMaxWindowTokens) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", name,
                       "\": the confidence window must be a whole number of tokens in "
                       "[1, ",
                       kMaxWindowTokens, "], as in ", prefix, "64"));
    }
    return w;
  };
  if (name == "majority") {
    a.mutable_majority();
  } else if (name == "weighted") {
    a.mutable_weighted();
  } else if (absl::StartsWith(name, "weighted:")) {
    auto w = window("weighted:");
    if (!w.ok()) return w.status();
    a.mutable_weighted()->set_window_tokens(*w);
  } else if (name == "filtered") {
    a.mutable_filtered();
  } else if (absl::StartsWith(name, "filtered:")) {
    auto w = window("filtered:");
    if (!w.ok()) return w.status();
    a.mutable_filtered()->set_window_tokens(*w);
  } else if (name == "learned") {
    a.mutable_learned()->set_model(kDefaultScorerModel);
  } else if (absl::StartsWith(name, "learned:")) {
    const std::string model = name.substr(std::string("learned:").size());
    if (model.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", name, "\": name the scorer model, as in learned:", kDefaultScorerModel));
    }
    a.mutable_learned()->set_model(model);
  } else if (name == "verifier") {
    a.mutable_verifier();
  } else if (absl::StartsWith(name, "verifier:")) {
    double auc = 0;
    const std::string value = name.substr(std::string("verifier:").size());
    if (!absl::SimpleAtod(value, &auc) || !(auc > 0 && auc < 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", name, "\": the verifier's AUC must be a number in (0, 1), as in verifier:0.8"));
    }
    a.mutable_verifier()->set_model(absl::StrCat(kSimVerifierModel, ":auc=", value));
  } else if (name == "usc") {
    a.mutable_usc();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name,
                     "\" is not a strategy (majority, weighted[:WINDOW], filtered[:WINDOW], "
                     "verifier[:AUC], learned[:MODEL], usc)"));
  }
  return a;
}

absl::StatusOr<v1::ComputePolicy> ComputeByName(const std::string& name) {
  v1::ComputePolicy c;
  if (name == "fixed") return c;
  if (name != "auto" && !absl::StartsWith(name, "auto:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not a compute policy (fixed, auto[:key=value,...])"));
  }
  v1::ComputePolicy::Auto* a = c.mutable_auto_();
  if (name == "auto") return c;
  for (absl::string_view kv : absl::StrSplit(name.substr(5), ',')) {
    const std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    uint32_t u = 0;
    double d = 0;
    const bool is_u = absl::SimpleAtoi(p.second, &u);
    if (p.first == "probe" && is_u && u > 0) {
      a->set_probe(u);
    } else if (p.first == "settled" && absl::SimpleAtod(p.second, &d) && d > 0.5 && d <= 1) {
      a->set_settled_agreement(d);
    } else if (p.first == "escalate" && is_u) {
      a->set_escalate_thinking_budget(u);
    } else if (p.first == "budget" && is_u) {
      a->set_thinking_budget(u);
    } else if (p.first == "policy" && !p.second.empty()) {
      a->set_thinking_model(p.second);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", kv, "\" in \"", name,
          "\": expected probe=N (>= 1), settled=X (in (0.5, 1]), escalate=TOKENS, budget=TOKENS "
          "or policy=NAME"));
    }
  }
  return c;
}

std::string ComputeName(const v1::ComputePolicy& compute) {
  if (!compute.has_auto_()) return "fixed";
  const v1::ComputePolicy::Auto& a = compute.auto_();
  std::string name = "auto";
  if (a.probe() > 0) absl::StrAppend(&name, " probe=", a.probe());
  if (a.settled_agreement() > 0) absl::StrAppend(&name, " settled=", a.settled_agreement());
  if (a.escalate_thinking_budget() > 0) {
    absl::StrAppend(&name, " escalate=", a.escalate_thinking_budget());
  }
  if (!a.thinking_model().empty()) absl::StrAppend(&name, " policy=", a.thinking_model());
  if (a.thinking_budget() > 0) absl::StrAppend(&name, " budget=", a.thinking_budget());
  return name;
}

std::string StopName(const v1::StopRule& stop) {
  const google::protobuf::Reflection* reflection = stop.GetReflection();
  const google::protobuf::FieldDescriptor* f = reflection->GetOneofFieldDescriptor(
      stop, v1::StopRule::descriptor()->FindOneofByName("rule"));
  if (f == nullptr) return "fixed";
  std::string name = f->name();
  // Settings that differ from the defaults, so that two series of one rule stay apart.
  const google::protobuf::Message& rule = reflection->GetMessage(stop, f);
  const google::protobuf::Reflection* r = rule.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> set;
  r->ListFields(rule, &set);
  for (const google::protobuf::FieldDescriptor* field : set) {
    absl::StrAppend(&name, " ", field->name(), "=");
    switch (field->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_UINT32:
        absl::StrAppend(&name, r->GetUInt32(rule, field));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE:
        absl::StrAppend(&name, absl::SixDigits(r->GetDouble(rule, field)));
        break;
      default:
        absl::StrAppend(&name, "?");
        break;
    }
  }
  return name;
}

absl::StatusOr<ExperimentResults> RunExperiment(v1::Orchestrator::StubInterface& stub,
                                                const std::vector<McqQuestion>& questions,
                                                const ExperimentOptions& options) {
  if (absl::Status s = Validate(questions, options); !s.ok()) return s;
  v1::Orchestrator::StubInterface::async_interface* async = stub.async();
  if (async == nullptr) return absl::InvalidArgumentError("the stub has no callback API");
  const absl::Time started = absl::Now();
  const bool all_mcq = std::none_of(questions.begin(), questions.end(), [](const McqQuestion& q) {
    return q.numeric || q.instruction();
  });
  const uint32_t max_n = *std::max_element(options.ns.begin(), options.ns.end());

  // Which series subsample, and the calls each makes.
  std::vector<bool> subsampled(options.series.size());
  std::vector<Job> jobs;
  for (size_t s = 0; s < options.series.size(); ++s) {
    subsampled[s] =
        options.subsample && all_mcq && options.ns.size() > 1 && options.series[s].Subsamplable();
    for (uint32_t n : options.ns) {
      if (subsampled[s] && n != max_n) continue;
      for (int q = 0; q < static_cast<int>(questions.size()); ++q) {
        for (int r = 0; r < options.repeats; ++r) jobs.push_back({s, n, q, r});
      }
    }
  }

  // Records: those already on file (resume), then each call's as it completes.
  std::vector<Record> records;
  std::map<std::string, size_t> done;  // JobKey -> index into records
  if (!options.records_path.empty()) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(options.records_path, ec) &&
                        std::filesystem::file_size(options.records_path, ec) > 0;
    if (exists && !options.resume) {
      return absl::AlreadyExistsError(absl::StrCat(
          options.records_path, " already holds records: resume it or choose another directory"));
    }
    if (options.resume) {
      auto loaded = LoadRecords(options.records_path, /*repair=*/true);
      if (!loaded.ok()) return loaded.status();
      for (Record& r : *loaded) {
        if (r.question < 0 || r.question >= static_cast<int>(questions.size()) ||
            questions[r.question].id != r.id ||
            r.seed != QuestionSeed(options.base_seed, r.question, r.repeat)) {
          return absl::FailedPreconditionError(absl::StrCat(
              options.records_path, ": record for question ", r.question, " (", r.id, ") repeat ",
              r.repeat, " was written with another dataset or seed; resume with the same options"));
        }
        const std::string key = JobKey(r.series, r.n, r.question, r.repeat);
        if (done.count(key)) continue;
        done[key] = records.size();
        records.push_back(std::move(r));
      }
    }
  }
  std::optional<RecordWriter> writer;
  if (!options.records_path.empty()) {
    auto w = RecordWriter::Open(options.records_path);
    if (!w.ok()) return w.status();
    writer.emplace(*std::move(w));
  }

  ExperimentResults results;
  Progress progress;
  progress.total = jobs.size();
  std::vector<Job> pending;
  for (const Job& j : jobs) {
    auto it = done.find(JobKey(options.series[j.series].Key(), j.n, j.question, j.repeat));
    if (it == done.end()) {
      pending.push_back(j);
      continue;
    }
    const Record& r = records[it->second];
    ++progress.done;
    ++progress.resumed;
    progress.correct += r.correct ? 1 : 0;
    progress.errors += r.ok ? 0 : 1;
  }
  results.calls_resumed = progress.resumed;

  // Per-series request options, for BuildRequest.
  std::vector<EvalOptions> request_options(options.series.size());
  for (size_t s = 0; s < options.series.size(); ++s) {
    EvalOptions& e = request_options[s];
    const Series& series = options.series[s];
    e.base_seed = options.base_seed;
    e.experiment = options.experiment;
    e.backend = series.backend;
    e.model = series.model;
    e.max_tokens = options.max_tokens;
    e.stop = series.stop_rule;
    e.launch = options.launch;
    e.aggregation = series.aggregation;
    e.thinking_budget = series.thinking_budget;
    e.compute = series.compute;
    e.prompt_template = options.prompt_template;
  }

  absl::Status write_status;
  // Each call's prompt features, taken when its request is built (both callbacks run in this
  // thread), for its record.
  std::vector<std::vector<float>> prompt_features(pending.size());
  results.calls_made = RunSolveCalls(
      *async, pending.size(),
      [&](size_t i) {
        const Job& j = pending[i];
        v1::SolveRequest request = BuildRequest(questions[j.question], j.question, j.repeat, j.n,
                                                request_options[j.series]);
        prompt_features[i] = RequestPromptFeatures(request);
        return request;
      },
      options.max_in_flight, options.timeout, options.cancel,
      [&](CallOutcome& outcome) {
        if (outcome.cancelled) return;  // redone on resume
        const Job& j = pending[outcome.index];
        const Series& series = options.series[j.series];
        Record r;
        r.series = series.Key();
        r.strategy = series.strategy;
        r.stop = series.stop;
        r.thinking_budget = series.thinking_budget;
        r.backend = series.backend;
        r.model = series.model;
        r.n = j.n;
        r.question = j.question;
        r.id = questions[j.question].id;
        r.repeat = j.repeat;
        r.seed = QuestionSeed(options.base_seed, j.question, j.repeat);
        r.latency_s = outcome.latency_s;
        r.prompt_features = std::move(prompt_features[outcome.index]);
        const RequestResult rr = ToRequestResult(outcome, j.question, j.repeat, j.n);
        if (rr.ok) {
          FillFromResponse(outcome.response, r);
        } else {
          r.error = rr.error;
          if (results.errors == 0) results.first_error = rr.error;
          ++results.errors;
        }
        if (writer && write_status.ok()) write_status = writer->Append(r);
        ++progress.done;
        progress.correct += r.correct ? 1 : 0;
        progress.errors += r.ok ? 0 : 1;
        progress.cost_usd += r.cost_usd;
        progress.elapsed = absl::Now() - started;
        done[JobKey(r.series, r.n, r.question, r.repeat)] = records.size();
        records.push_back(std::move(r));
        if (options.on_progress) options.on_progress(progress);
      });
  if (!write_status.ok()) return write_status;
  results.cancelled =
      options.cancel != nullptr && options.cancel->load() && progress.done < progress.total;

  // The cells, from the records.
  for (size_t s = 0; s < options.series.size(); ++s) {
    const Series& series = options.series[s];
    for (uint32_t n : options.ns) {
      const uint32_t drawn = subsampled[s] ? max_n : n;
      std::vector<RequestResult> cell;
      for (int q = 0; q < static_cast<int>(questions.size()); ++q) {
        for (int r = 0; r < options.repeats; ++r) {
          auto it = done.find(JobKey(series.Key(), drawn, q, r));
          if (it == done.end()) continue;  // cancelled before it finished
          const Record& rec = records[it->second];
          cell.push_back(subsampled[s] ? PrefixResult(rec, n) : ToResult(rec));
          if (!rec.ok && drawn == n && results.first_error.empty()) {
            results.first_error = rec.error;
          }
        }
      }
      CellStats c;
      c.series = series;
      c.subsampled = subsampled[s] && n != max_n;
      c.stats = Summarize(n, cell);
      c.stats.strategy = series.strategy;
      c.stats.stop = series.stop;
      c.stats.thinking_budget = series.thinking_budget;
      c.stats.backend = series.backend;
      c.stats.model = series.model;
      c.stats.subsampled = c.subsampled;
      results.cells.push_back(std::move(c));
    }
  }
  results.errors = progress.errors;
  results.wall_time = absl::Now() - started;
  return results;
}

}  // namespace ptc::eval
