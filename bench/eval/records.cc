#include "bench/eval/records.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ptc::eval {
namespace {

std::string StatusName(v1::ChainStatus s) {
  switch (s) {
    case v1::CHAIN_STATUS_OK:
      return "ok";
    case v1::CHAIN_STATUS_FAILED:
      return "failed";
    case v1::CHAIN_STATUS_CANCELLED:
      return "cancelled";
    default:
      return "unspecified";
  }
}

// Reads `key` into `out`; false (and `missing` set) when absent or of another type.
template <typename T>
bool Get(const nlohmann::json& j, const char* key, T& out, std::string& missing) {
  auto it = j.find(key);
  if (it == j.end()) {
    missing = key;
    return false;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) {
      missing = key;
      return false;
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) {
      missing = key;
      return false;
    }
  } else {
    if (!it->is_number()) {
      missing = key;
      return false;
    }
  }
  out = it->get<T>();
  return true;
}

}  // namespace

void FillFromResponse(const v1::SolveResponse& response, Record& r) {
  r.ok = true;
  r.error.clear();
  r.correct = response.correct();
  r.answer = response.answer();
  r.reference = response.reference_answer();
  r.duration_s = response.duration_s();
  r.chains_launched = response.ledger().chains_launched();
  const v1::TokenUsage& t = response.ledger().tokens();
  r.tokens = t.prompt_tokens() + t.completion_tokens() + t.reasoning_tokens();
  r.cost_usd = response.ledger().cost_usd();
  r.chains.clear();
  for (const v1::ChainRecord& c : response.chains()) {
    ChainFeatures f;
    f.index = c.index();
    f.status = StatusName(c.status());
    f.parseable = c.parseable();
    f.answer = c.answer();
    f.correct = c.parseable() && !r.reference.empty() && c.answer() == r.reference;
    f.finish_reason = c.finish_reason();
    f.prompt_tokens = c.usage().prompt_tokens();
    f.completion_tokens = c.usage().completion_tokens();
    f.reasoning_tokens = c.usage().reasoning_tokens();
    f.cost_usd = c.cost_usd();
    f.started_at_s = c.started_at_s();
    f.duration_s = c.duration_s();
    f.time_to_first_token_s = c.time_to_first_token_s();
    f.seed = c.seed();
    f.has_confidence = c.mean_token_confidence() != 0;
    f.mean_token_confidence = c.mean_token_confidence();
    f.group = c.group();
    f.backend = c.backend();
    f.model = c.model();
    if (c.has_confidence()) f.confidence = c.confidence();
    f.cut_low_confidence = c.cut_low_confidence();
    r.chains.push_back(std::move(f));
  }
  r.verification.clear();
  for (const v1::VerifyCall& call : response.verification().calls()) {
    VerifierGrade g;
    g.answer = call.answer();
    if (call.has_score()) g.score = call.score();
    r.verification.push_back(std::move(g));
  }
  std::sort(r.chains.begin(), r.chains.end(),
            [](const ChainFeatures& a, const ChainFeatures& b) { return a.index < b.index; });
  if (response.has_compute()) r.compute = response.compute();
}

std::string RecordToJson(const Record& r) {
  nlohmann::json chains = nlohmann::json::array();
  for (const ChainFeatures& c : r.chains) {
    nlohmann::json j = {{"index", c.index},
                        {"status", c.status},
                        {"parseable", c.parseable},
                        {"answer", c.answer},
                        {"correct", c.correct},
                        {"finish_reason", c.finish_reason},
                        {"prompt_tokens", c.prompt_tokens},
                        {"completion_tokens", c.completion_tokens},
                        {"reasoning_tokens", c.reasoning_tokens},
                        {"cost_usd", c.cost_usd},
                        {"started_at_s", c.started_at_s},
                        {"duration_s", c.duration_s},
                        {"time_to_first_token_s", c.time_to_first_token_s},
                        {"seed", c.seed}};
    if (c.has_confidence) j["mean_token_confidence"] = c.mean_token_confidence;
    j["group"] = c.group;
    j["backend"] = c.backend;
    j["model"] = c.model;
    if (c.confidence.has_value()) {
      const v1::ChainConfidence& k = *c.confidence;
      j["confidence"] = {{"tokens", k.tokens()},         {"window_tokens", k.window_tokens()},
                         {"mean_token", k.mean_token()}, {"lowest_group", k.lowest_group()},
                         {"bottom_10", k.bottom_10()},   {"tail", k.tail()}};
    }
    if (c.cut_low_confidence) j["cut_low_confidence"] = true;
    chains.push_back(std::move(j));
  }
  nlohmann::json verification = nlohmann::json::array();
  for (const VerifierGrade& g : r.verification) {
    nlohmann::json v = {{"answer", g.answer}};
    if (g.score.has_value()) v["score"] = *g.score;
    verification.push_back(std::move(v));
  }
  nlohmann::json j = {{"series", r.series},
                      {"strategy", r.strategy},
                      {"stop", r.stop},
                      {"thinking_budget", r.thinking_budget},
                      {"backend", r.backend},
                      {"model", r.model},
                      {"n", r.n},
                      {"question", r.question},
                      {"id", r.id},
                      {"repeat", r.repeat},
                      {"seed", r.seed},
                      {"reference", r.reference},
                      {"ok", r.ok},
                      {"error", r.error},
                      {"correct", r.correct},
                      {"answer", r.answer},
                      {"latency_s", r.latency_s},
                      {"duration_s", r.duration_s},
                      {"chains_launched", r.chains_launched},
                      {"tokens", r.tokens},
                      {"cost_usd", r.cost_usd},
                      {"chains", std::move(chains)}};
  if (!r.verification.empty()) j["verification"] = std::move(verification);
  if (!r.prompt_features.empty()) j["prompt_features"] = r.prompt_features;
  if (r.compute.has_value()) {
    nlohmann::json c = {{"thinking", r.compute->thinking()},
                        {"probe_agreement", r.compute->probe_agreement()},
                        {"settled", r.compute->settled()}};
    if (r.compute->has_thinking_probability()) {
      c["thinking_probability"] = r.compute->thinking_probability();
    }
    j["compute"] = std::move(c);
  }
  // Invalid UTF-8 from a backend must not make the record unwritable.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<Record> RecordFromJson(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  Record r;
  std::string bad;
  const bool ok =
      Get(j, "series", r.series, bad) && Get(j, "strategy", r.strategy, bad) &&
      Get(j, "stop", r.stop, bad) && Get(j, "thinking_budget", r.thinking_budget, bad) &&
      Get(j, "backend", r.backend, bad) && Get(j, "model", r.model, bad) && Get(j, "n", r.n, bad) &&
      Get(j, "question", r.question, bad) && Get(j, "id", r.id, bad) &&
      Get(j, "repeat", r.repeat, bad) && Get(j, "seed", r.seed, bad) &&
      Get(j, "reference", r.reference, bad) && Get(j, "ok", r.ok, bad) &&
      Get(j, "error", r.error, bad) && Get(j, "correct", r.correct, bad) &&
      Get(j, "answer", r.answer, bad) && Get(j, "latency_s", r.latency_s, bad) &&
      Get(j, "duration_s", r.duration_s, bad) &&
      Get(j, "chains_launched", r.chains_launched, bad) && Get(j, "tokens", r.tokens, bad) &&
      Get(j, "cost_usd", r.cost_usd, bad);
  if (!ok)
    return absl::InvalidArgumentError(absl::StrCat("field \"", bad, "\" missing or mistyped"));
  auto chains = j.find("chains");
  if (chains == j.end() || !chains->is_array()) {
    return absl::InvalidArgumentError("field \"chains\" missing or not an array");
  }
  for (const auto& c : *chains) {
    ChainFeatures f;
    const bool cok =
        c.is_object() && Get(c, "index", f.index, bad) && Get(c, "status", f.status, bad) &&
        Get(c, "parseable", f.parseable, bad) && Get(c, "answer", f.answer, bad) &&
        Get(c, "correct", f.correct, bad) && Get(c, "finish_reason", f.finish_reason, bad) &&
        Get(c, "prompt_tokens", f.prompt_tokens, bad) &&
        Get(c, "completion_tokens", f.completion_tokens, bad) &&
        Get(c, "reasoning_tokens", f.reasoning_tokens, bad) &&
        Get(c, "cost_usd", f.cost_usd, bad) && Get(c, "started_at_s", f.started_at_s, bad) &&
        Get(c, "duration_s", f.duration_s, bad) &&
        Get(c, "time_to_first_token_s", f.time_to_first_token_s, bad) &&
        Get(c, "seed", f.seed, bad);
    if (!cok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chains: field \"", bad.empty() ? "(object)" : bad, "\" missing or mistyped"));
    }
    auto conf = c.find("mean_token_confidence");
    if (conf != c.end() && conf->is_number()) {
      f.has_confidence = true;
      f.mean_token_confidence = conf->get<double>();
    }
    // Recorded since the learned scorer; optional so that older records still load.
    if (c.contains("group") && !Get(c, "group", f.group, bad)) {
      return absl::InvalidArgumentError("chains: field \"group\" mistyped");
    }
    if ((c.contains("backend") && !Get(c, "backend", f.backend, bad)) ||
        (c.contains("model") && !Get(c, "model", f.model, bad))) {
      return absl::InvalidArgumentError(absl::StrCat("chains: field \"", bad, "\" mistyped"));
    }
    if (auto k = c.find("confidence"); k != c.end()) {
      v1::ChainConfidence stats;
      uint64_t tokens = 0;
      uint32_t window = 0;
      double mean = 0, lowest = 0, bottom = 0, tail = 0;
      const bool kok = k->is_object() && Get(*k, "tokens", tokens, bad) &&
                       Get(*k, "window_tokens", window, bad) && Get(*k, "mean_token", mean, bad) &&
                       Get(*k, "lowest_group", lowest, bad) && Get(*k, "bottom_10", bottom, bad) &&
                       Get(*k, "tail", tail, bad);
      if (!kok) {
        return absl::InvalidArgumentError(
            absl::StrCat("chains: confidence: field \"", bad, "\" missing or mistyped"));
      }
      stats.set_tokens(tokens);
      stats.set_window_tokens(window);
      stats.set_mean_token(mean);
      stats.set_lowest_group(lowest);
      stats.set_bottom_10(bottom);
      stats.set_tail(tail);
      f.confidence = std::move(stats);
    }
    if (auto cut = c.find("cut_low_confidence"); cut != c.end()) {
      if (!cut->is_boolean()) {
        return absl::InvalidArgumentError("chains: field \"cut_low_confidence\" mistyped");
      }
      f.cut_low_confidence = cut->get<bool>();
    }
    r.chains.push_back(std::move(f));
  }
  if (auto v = j.find("verification"); v != j.end()) {
    if (!v->is_array()) return absl::InvalidArgumentError("field \"verification\" not an array");
    for (const auto& e : *v) {
      VerifierGrade g;
      if (!e.is_object() || !Get(e, "answer", g.answer, bad)) {
        return absl::InvalidArgumentError("verification: field \"answer\" missing or mistyped");
      }
      if (auto score = e.find("score"); score != e.end()) {
        if (!score->is_number()) {
          return absl::InvalidArgumentError("verification: field \"score\" mistyped");
        }
        g.score = score->get<double>();
      }
      r.verification.push_back(std::move(g));
    }
  }
  if (auto f = j.find("prompt_features"); f != j.end()) {
    if (!f->is_array()) return absl::InvalidArgumentError("field \"prompt_features\" not an array");
    for (const auto& x : *f) {
      if (!x.is_number()) {
        return absl::InvalidArgumentError("prompt_features: not a number");
      }
      r.prompt_features.push_back(x.get<float>());
    }
  }
  if (auto c = j.find("compute"); c != j.end()) {
    if (!c->is_object()) return absl::InvalidArgumentError("field \"compute\" not an object");
    v1::ComputeDecision& d = r.compute.emplace();
    bool thinking = false, settled = false;
    double agreement = 0;
    if (!Get(*c, "thinking", thinking, bad) || !Get(*c, "settled", settled, bad) ||
        !Get(*c, "probe_agreement", agreement, bad)) {
      return absl::InvalidArgumentError(
          absl::StrCat("compute: field \"", bad, "\" missing or mistyped"));
    }
    d.set_policy("auto");
    d.set_thinking(thinking);
    d.set_settled(settled);
    d.set_probe_agreement(agreement);
    if (auto p = c->find("thinking_probability"); p != c->end() && p->is_number()) {
      d.set_thinking_probability(p->get<double>());
    }
  }
  return r;
}

v1::ChainRecord ToChainRecord(const ChainFeatures& c) {
  v1::ChainRecord r;
  r.set_index(c.index);
  r.set_group(c.group);
  r.set_backend(c.backend);
  r.set_model(c.model);
  r.set_status(c.status == "ok"          ? v1::CHAIN_STATUS_OK
               : c.status == "failed"    ? v1::CHAIN_STATUS_FAILED
               : c.status == "cancelled" ? v1::CHAIN_STATUS_CANCELLED
                                         : v1::CHAIN_STATUS_UNSPECIFIED);
  r.set_parseable(c.parseable);
  if (c.parseable) r.set_answer(c.answer);
  r.set_finish_reason(c.finish_reason);
  r.mutable_usage()->set_prompt_tokens(c.prompt_tokens);
  r.mutable_usage()->set_completion_tokens(c.completion_tokens);
  r.mutable_usage()->set_reasoning_tokens(c.reasoning_tokens);
  r.set_started_at_s(c.started_at_s);
  r.set_time_to_first_token_s(c.time_to_first_token_s);
  r.set_duration_s(c.duration_s);
  r.set_cost_usd(c.cost_usd);
  r.set_seed(c.seed);
  if (c.has_confidence) r.set_mean_token_confidence(c.mean_token_confidence);
  if (c.confidence.has_value()) *r.mutable_confidence() = *c.confidence;
  r.set_cut_low_confidence(c.cut_low_confidence);
  return r;
}

RequestResult ToResult(const Record& r) {
  RequestResult out;
  out.question = r.question;
  out.repeat = r.repeat;
  out.n = r.n;
  out.ok = r.ok;
  out.error = r.error;
  out.latency_s = r.latency_s;
  if (!r.ok) return out;
  out.correct = r.correct;
  out.chains = r.chains_launched;
  out.tokens = r.tokens;
  out.cost_usd = r.cost_usd;
  return out;
}

RequestResult PrefixResult(const Record& r, uint32_t n) {
  if (n >= r.n) return ToResult(r);
  RequestResult out = ToResult(r);
  out.n = n;
  if (!r.ok) return out;
  // Majority as the server's tally ranks it (aggregators/tally.h): most votes, ties to the answer
  // whose first vote came earliest in the plan. Chains come sorted by plan index.
  std::map<std::string, std::pair<uint32_t, uint32_t>> votes;  // answer -> (votes, first chain)
  uint32_t chains = 0;
  uint64_t tokens = 0;
  double cost = 0, last_end = 0;
  for (const ChainFeatures& c : r.chains) {
    if (c.index >= n) continue;
    ++chains;
    tokens += c.prompt_tokens + c.completion_tokens + c.reasoning_tokens;
    cost += c.cost_usd;
    last_end = std::max(last_end, c.started_at_s + c.duration_s);
    if (c.status != "ok" || !c.parseable) continue;
    auto [it, inserted] = votes.emplace(c.answer, std::make_pair(0u, c.index));
    it->second.first++;
    it->second.second = std::min(it->second.second, c.index);
  }
  const std::string* winner = nullptr;
  std::pair<uint32_t, uint32_t> best{0, 0};
  for (const auto& [answer, v] : votes) {
    if (winner == nullptr || v.first > best.first ||
        (v.first == best.first && v.second < best.second)) {
      winner = &answer;
      best = v;
    }
  }
  out.correct = winner != nullptr && *winner == r.reference;
  out.chains = chains;
  out.tokens = tokens;
  out.cost_usd = cost;
  out.latency_s = std::max(0.0, r.latency_s - r.duration_s) + last_end;
  return out;
}

absl::StatusOr<RecordWriter> RecordWriter::Open(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr)
    return absl::InternalError(absl::StrCat("cannot open ", path, " for appending"));
  return RecordWriter(f, path);
}

RecordWriter::RecordWriter(RecordWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)), path_(std::move(other.path_)) {}

RecordWriter::~RecordWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status RecordWriter::Append(const Record& record) {
  const std::string line = RecordToJson(record) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return absl::InternalError(absl::StrCat("error writing ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Record>> LoadRecords(const std::string& path, bool repair) {
  std::vector<Record> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;  // nothing recorded yet
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  size_t pos = 0, good_end = 0;
  int line = 0;
  while (pos < text.size()) {
    ++line;
    const size_t nl = text.find('\n', pos);
    const bool last = nl == std::string::npos || nl + 1 == text.size();
    const std::string raw = text.substr(pos, nl == std::string::npos ? nl : nl - pos);
    auto record = RecordFromJson(raw);
    if (!record.ok() || nl == std::string::npos) {
      if (last) break;  // cut short by a crash: dropped
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line, ": ", record.status().message()));
    }
    out.push_back(*std::move(record));
    pos = nl + 1;
    good_end = pos;
  }
  if (repair && good_end < text.size()) {
    std::error_code ec;
    std::filesystem::resize_file(path, good_end, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot truncate ", path, ": ", ec.message()));
  }
  return out;
}

}  // namespace ptc::eval
