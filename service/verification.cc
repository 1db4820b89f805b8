#include "service/verification.h"

#include "absl/strings/str_cat.h"
#include "aggregators/usc/usc_prompt.h"
#include "aggregators/verifier/verify_prompt.h"
#include "boost/asio/post.hpp"
#include "service/chain_proto.h"

namespace ptc {
namespace {

constexpr uint64_t kVerifySalt = 0x7665726966ull;  // "verif"
constexpr uint64_t kUscSalt = 0x757363ull;         // "usc"

// What every call's record holds, whatever the call was for. Returns the call's error ("" when
// it finished OK).
std::string FillCall(const ChainResult& result, const CallCost& cost, bool include_text,
                     v1::VerifyCall* rec) {
  rec->set_status(ToProto(result.status));
  rec->set_finish_reason(result.finish_reason);
  AddUsage(result.usage, rec->mutable_usage());
  rec->set_duration_s(cost.seconds);
  rec->set_cost_usd(cost.usd);
  if (include_text) rec->set_text(result.text);
  switch (result.status) {
    case ChainStatus::kOk:
      return "";
    case ChainStatus::kFailed:
      return result.error.ToString();
    case ChainStatus::kCancelled:
      return "cancelled";
  }
  return "unknown status";
}

}  // namespace

// Posts a call's end to the strand. Deltas are not needed: replies are read whole.
class SelectionCalls::Observer : public ChainObserver {
 public:
  Observer(std::shared_ptr<SelectionCalls> calls, size_t k) : calls_(std::move(calls)), k_(k) {}
  void OnDelta(const ChainDelta&) override {}
  void OnDone(ChainResult result) override {
    const Clock::time_point end = Clock::now();
    auto calls = std::move(calls_);
    boost::asio::post(calls->strand_, [calls, k = k_, result = std::move(result), end]() mutable {
      calls->OnCallDone(k, std::move(result), end);
    });
  }

 private:
  std::shared_ptr<SelectionCalls> calls_;
  const size_t k_;
};

uint64_t SelectionCallSeed(uint64_t chain_seed, uint64_t salt) {
  uint64_t z = chain_seed + 0x9e3779b97f4a7c15ull * salt;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string VerifyQuestionText(const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role != ChatMessage::Role::kUser) continue;
    if (!out.empty()) out.append("\n\n");
    out.append(m.content);
  }
  return out;
}

SelectionCalls::SelectionCalls(Strand strand, const SelectionCallPlan& plan,
                               const PriceTable& prices, Metrics& metrics, uint32_t first_index,
                               v1::Ledger* ledger)
    : strand_(std::move(strand)),
      plan_(plan),
      prices_(prices),
      metrics_(metrics),
      first_index_(first_index),
      ledger_(ledger) {}

void SelectionCalls::Start(std::vector<SelectionCallSpec> calls, CallDone call_done,
                           std::function<void()> done) {
  call_done_ = std::move(call_done);
  done_ = std::move(done);
  calls_.resize(calls.size());
  // Every call is started before any report is handled: reports are posted to this strand.
  for (size_t k = 0; k < calls.size(); ++k) {
    ChainSpec spec = plan_.spec;
    spec.index = first_index_ + static_cast<uint32_t>(k);
    spec.seed = calls[k].seed;
    spec.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
        ChatMessage{ChatMessage::Role::kUser, std::move(calls[k].prompt)}});
    calls_[k].started = Clock::now();
    calls_[k].handle =
        plan_.backend->Start(spec, std::make_shared<Observer>(shared_from_this(), k));
  }
}

void SelectionCalls::Cancel() {
  for (Call& c : calls_) {
    if (!c.done && c.handle) c.handle->Cancel();
  }
}

void SelectionCalls::OnCallDone(size_t k, ChainResult result, Clock::time_point end) {
  Call& call = calls_[k];
  if (call.done) return;
  call.done = true;
  call.handle.reset();
  CallCost cost;
  cost.seconds = std::chrono::duration<double>(end - call.started).count();
  cost.usd = prices_.Cost(plan_.backend_name, plan_.spec.model, result.usage);
  if (result.status == ChainStatus::kFailed) {
    metrics_.BackendError(plan_.backend_name, result.error);
  }
  ledger_->set_verify_calls(ledger_->verify_calls() + 1);
  AddUsage(result.usage, ledger_->mutable_verify_tokens());
  ledger_->set_verify_cost_usd(ledger_->verify_cost_usd() + cost.usd);
  AddUsage(result.usage, ledger_->mutable_tokens());
  ledger_->set_cost_usd(ledger_->cost_usd() + cost.usd);
  metrics_.VerifyFinished(plan_.backend_name, ModelLabel(), StatusLabel(result.status),
                          result.usage, cost.usd);
  if (call_done_) call_done_(k, result, cost);

  if (++finished_ < calls_.size()) return;
  // Release the callbacks (they hold the Run) before calling done.
  call_done_ = nullptr;
  std::function<void()> done = std::move(done_);
  done_ = nullptr;
  if (done) done();
}

std::string SelectionCalls::ModelLabel() const {
  if (plan_.spec.model == plan_.backend->default_model() ||
      prices_.IsPricedModel(plan_.backend_name, plan_.spec.model)) {
    return plan_.spec.model;
  }
  return "other";
}

std::vector<SelectionCallSpec> VerifyCallSpecs(const SelectionCallPlan& plan,
                                               const std::string& question,
                                               std::vector<VerifyTask> tasks,
                                               v1::Verification* record,
                                               VerificationOutcome* outcome) {
  outcome->verifier = absl::StrCat(plan.backend_name, "/", plan.spec.model);
  std::vector<SelectionCallSpec> specs;
  specs.reserve(tasks.size());
  outcome->grades.resize(tasks.size());
  for (size_t k = 0; k < tasks.size(); ++k) {
    VerifyTask& t = tasks[k];
    SelectionCallSpec& spec = specs.emplace_back();
    spec.seed = SelectionCallSeed(t.chain_seed, kVerifySalt);
    spec.prompt = BuildVerifyPrompt(question, t.answer, t.evidence);
    v1::VerifyCall* rec = record->add_calls();
    rec->set_answer(t.answer);
    rec->set_evidence_chain(t.evidence_chain);
    rec->set_seed(spec.seed);
    CandidateGrade& g = outcome->grades[k];
    g.answer = std::move(t.answer);
    g.evidence_chain = t.evidence_chain;
  }
  return specs;
}

void RecordVerifyCall(size_t k, const ChainResult& result, const CallCost& cost, bool include_text,
                      v1::Verification* record, VerificationOutcome* outcome) {
  v1::VerifyCall* rec = record->mutable_calls(static_cast<int>(k));
  CandidateGrade& g = outcome->grades[k];
  g.error = FillCall(result, cost, include_text, rec);
  if (result.status == ChainStatus::kOk) {
    g.score = ParseVerifierScore(result.text);
    if (g.score.has_value()) {
      rec->set_score(*g.score);
    } else {
      g.error = "no score in the reply";
    }
  }
  rec->set_error(g.error);
}

SelectionCallSpec UscCallSpec(const SelectionCallPlan& plan, const std::string& question,
                              UscTask task, v1::UscSelection* record, UscOutcome* outcome) {
  outcome->selector = absl::StrCat(plan.backend_name, "/", plan.spec.model);
  SelectionCallSpec spec;
  spec.seed = SelectionCallSeed(task.chain_seed, kUscSalt);
  spec.prompt = BuildUscPrompt(question, task.responses);
  for (uint32_t c : task.chains) record->add_response_chains(c);
  record->mutable_call()->set_seed(spec.seed);
  outcome->response_chains = std::move(task.chains);
  return spec;
}

void RecordUscCall(const ChainResult& result, const CallCost& cost, bool include_text,
                   v1::UscSelection* record, UscOutcome* outcome) {
  v1::VerifyCall* rec = record->mutable_call();
  outcome->error = FillCall(result, cost, include_text, rec);
  if (result.status == ChainStatus::kOk) {
    const UscChoice choice = ParseUscSelection(result.text, outcome->response_chains.size());
    if (choice.response.has_value()) {
      outcome->selected = *choice.response - 1;
      record->set_selected_response(*choice.response);
      rec->set_evidence_chain(outcome->response_chains[*outcome->selected]);
    } else {
      outcome->error = choice.error;
    }
  }
  rec->set_error(outcome->error);
}

}  // namespace ptc
