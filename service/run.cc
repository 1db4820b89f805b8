#include "service/run.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "aggregators/confidence/confidence_tracker.h"
#include "aggregators/stop/auto/auto_compute.h"
#include "aggregators/verifier/verify_prompt.h"
#include "boost/asio/defer.hpp"
#include "boost/asio/post.hpp"
#include "common/status_macros.h"
#include "service/chain_proto.h"

namespace ptc {

// Forwards one chain's reports to the Run's strand, stamping times where they happen. When the
// strategy or the stop rule uses confidence it also folds each delta into the chain's
// ConfidenceTracker here, on the backend's thread (a chain's calls never overlap), so deltas are
// not posted one by one; the statistics travel with OnDone. A cuttable chain whose group
// confidence falls below the Run's cut threshold asks the strand, once, to cancel it.
class Run::Observer : public ChainObserver {
 public:
  Observer(std::shared_ptr<Run> run, uint32_t index, uint32_t confidence_window, bool cuttable)
      : run_(std::move(run)), index_(index), cuttable_(cuttable && confidence_window > 0) {
    if (confidence_window > 0) confidence_.emplace(confidence_window);
  }

  void OnDelta(const ChainDelta& delta) override {
    if (!first_token_ && delta.tokens > 0) first_token_ = Clock::now();
    if (!confidence_) return;
    confidence_->Add(delta);
    if (!cuttable_ || cut_asked_) return;
    const std::optional<double> lowest = confidence_->lowest_complete_group();
    if (lowest.has_value() && *lowest < run_->cut_threshold_.load(std::memory_order_relaxed)) {
      cut_asked_ = true;
      boost::asio::post(run_->strand_, [run = run_, index = index_] { run->CutChain(index); });
    }
  }

  void OnDone(ChainResult result) override {
    const Clock::time_point end = Clock::now();
    auto run = std::move(run_);
    std::optional<v1::ChainConfidence> stats;
    if (confidence_) stats = confidence_->Stats();
    // Deferred: a backend reports from a handler on an io thread, which then runs this after it
    // rather than waking another thread for it.
    boost::asio::defer(run->strand_,
                       [run, index = index_, result = std::move(result), first = first_token_, end,
                        stats = std::move(stats)]() mutable {
                         run->OnChainDone(index, std::move(result), first, end, std::move(stats));
                       });
  }

 private:
  std::shared_ptr<Run> run_;
  const uint32_t index_;
  const bool cuttable_;
  bool cut_asked_ = false;
  std::optional<Clock::time_point> first_token_;
  std::optional<ConfidenceTracker> confidence_;
};

absl::StatusOr<std::shared_ptr<Run>> Run::Create(const v1::SolveRequest& request, RunContext& ctx,
                                                 Clock::time_point deadline,
                                                 double extra_cost_cap) {
  ASSIGN_OR_RETURN(RequestPlan plan,
                   PlanRequest(request, ctx.limits, ctx.backends, ctx.prices, extra_cost_cap));
  for (PlannedChain& c : plan.chains) c.spec.deadline = deadline;
  if (plan.verify) plan.verify->spec.deadline = deadline;
  if (plan.usc) plan.usc->spec.deadline = deadline;
  return std::shared_ptr<Run>(new Run(request, ctx, std::move(plan)));
}

Run::Run(const v1::SolveRequest& request, RunContext& ctx, RequestPlan plan)
    : ctx_(ctx),
      strand_(boost::asio::make_strand(ctx.io.Next())),
      plan_(std::move(plan)),
      strategy_(plan_.aggregator->name()),
      include_text_(request.include_chain_text()),
      experiment_(request.experiment()),
      request_id_(request.request_id()),
      grouper_(plan_.extractor->NewGrouper()) {}

void Run::Start(EventSink events, DoneCallback done) {
  boost::asio::post(strand_, [self = shared_from_this(), events = std::move(events),
                              done = std::move(done)]() mutable {
    self->events_ = std::move(events);
    self->done_ = std::move(done);
    self->Launch();
  });
}

void Run::Cancel() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_run_ || self->cancelled_) return;
    self->cancelled_ = true;
    for (ChainState& c : self->chains_) {
      if (!c.done && c.handle) c.handle->Cancel();
    }
    if (self->selection_calls_) self->selection_calls_->Cancel();
  });
}

void Run::Drain(std::string reason) {
  boost::asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
    if (self->finished_run_ || self->cancelled_ || self->drained_) return;
    self->drained_ = true;
    self->response_.set_partial_reason(reason);
    for (ChainState& c : self->chains_) {
      if (!c.done && c.handle) c.handle->Cancel();
    }
    if (self->selection_calls_) self->selection_calls_->Cancel();
  });
}

void Run::Launch() {
  t0_ = Clock::now();
  ctx_.metrics.RequestStarted();
  v1::Ledger* ledger = response_.mutable_ledger();
  ledger->set_chains_planned(plan_.planned);
  ledger->set_chains_dropped_for_budget(plan_.dropped_for_budget);
  ledger->set_reserved_cost_usd(plan_.reserved_usd);
  ledger->set_reserved_tokens(plan_.reserved_tokens);
  response_.mutable_stop()->set_rule(plan_.stop_rule->name());
  if (cancelled_ || drained_) return Finish();
  votes_.resize(plan_.chains.size());
  chains_.reserve(plan_.chains.size());
  LaunchUpTo(plan_.first_wave > 0 ? plan_.first_wave : plan_.chains.size());
}

void Run::LaunchUpTo(size_t count) {
  count = std::min(count, plan_.chains.size());
  // Every chain of a wave is launched before any report is handled: reports are posted to this
  // strand.
  for (size_t i = chains_.size(); i < count; ++i) {
    const PlannedChain& pc = plan_.chains[i];
    v1::ChainRecord* rec = response_.add_chains();
    rec->set_index(pc.spec.index);
    rec->set_group(pc.spec.group);
    rec->set_backend(pc.backend_name);
    rec->set_model(pc.spec.model);
    rec->set_seed(pc.spec.seed);
    rec->set_thinking_budget(pc.spec.thinking_budget);
    rec->set_reasoning_effort(pc.spec.reasoning_effort);
    ChainState& state = chains_.emplace_back();
    state.started = Clock::now();
    ctx_.metrics.ChainLaunched();
    state.handle = pc.backend->Start(
        pc.spec,
        std::make_shared<Observer>(shared_from_this(), pc.spec.index, plan_.confidence_window,
                                   plan_.stop_rule->confidence_window() > 0 &&
                                       pc.spec.index >= plan_.stop_rule->protected_chains()));
    rec->set_started_at_s(SecondsSinceStart(state.started));
    if (events_) {
      v1::SolveEvent e;
      auto* s = e.mutable_chain_started();
      s->set_index(pc.spec.index);
      s->set_group(pc.spec.group);
      s->set_backend(pc.backend_name);
      s->set_model(pc.spec.model);
      s->set_at_s(rec->started_at_s());
      Emit(std::move(e));
    }
  }
  response_.mutable_ledger()->set_chains_launched(static_cast<uint32_t>(chains_.size()));
}

void Run::CutChain(uint32_t index) {
  ChainState& state = chains_[index];
  if (state.done || state.cut || !state.handle) return;
  state.cut = true;
  state.handle->Cancel();
}

void Run::OnChainDone(uint32_t index, ChainResult result,
                      std::optional<Clock::time_point> first_token, Clock::time_point end,
                      std::optional<v1::ChainConfidence> confidence) {
  ChainState& state = chains_[index];
  if (state.done) return;
  state.done = true;
  state.handle.reset();
  const PlannedChain& pc = plan_.chains[index];
  v1::ChainRecord* rec = response_.mutable_chains(index);
  rec->set_status(ToProto(result.status));
  rec->set_finish_reason(result.finish_reason);
  SetUsage(result.usage, rec->mutable_usage());
  const double duration = std::chrono::duration<double>(end - state.started).count();
  rec->set_duration_s(duration);
  if (first_token) {
    rec->set_time_to_first_token_s(
        std::chrono::duration<double>(*first_token - state.started).count());
  }
  const double cost = ctx_.prices.Cost(pc.backend_name, pc.spec.model, result.usage);
  rec->set_cost_usd(cost);
  if (confidence && plan_.stop_rule->confidence_window() > 0) {
    votes_[index].confidence = confidence->lowest_group();
  }
  if (confidence) {
    rec->set_mean_token_confidence(confidence->mean_token());
    *rec->mutable_confidence() = std::move(*confidence);
  } else if (result.mean_token_confidence) {
    rec->set_mean_token_confidence(*result.mean_token_confidence);
  }
  if (!result.error.ok()) rec->set_error(std::string(result.error.message()));
  if (include_text_) {
    rec->set_text(result.text);
    rec->set_reasoning(result.reasoning);
  }

  v1::Ledger* ledger = response_.mutable_ledger();
  AddUsage(result.usage, ledger->mutable_tokens());
  ledger->set_cost_usd(ledger->cost_usd() + cost);
  switch (result.status) {
    case ChainStatus::kOk: {
      ledger->set_chains_succeeded(ledger->chains_succeeded() + 1);
      ExtractedAnswer a = plan_.extractor->Extract(result.text);
      rec->set_parseable(a.parseable);
      if (a.parseable) {
        rec->set_answer(a.value);
        if (plan_.verify) {
          state.evidence =
              EvidenceTail(result.reasoning, result.text, plan_.verify->evidence_bytes);
        } else if (plan_.usc) {
          state.evidence = EvidenceTail("", result.text, plan_.usc->response_bytes);
        }
        tally_.Add(index, a.value);
        votes_[index].voted = true;
        votes_[index].answer = a.value;
      } else {
        tally_.AddUnparseable();
      }
      break;
    }
    case ChainStatus::kFailed:
      ledger->set_chains_failed(ledger->chains_failed() + 1);
      ctx_.metrics.BackendError(pc.backend_name, result.error);
      if (first_error_.empty()) {
        first_error_ =
            absl::StrCat("chain ", index, " (", pc.backend_name, "): ", result.error.ToString());
      }
      break;
    case ChainStatus::kCancelled:
      ledger->set_chains_cancelled(ledger->chains_cancelled() + 1);
      if (state.cut) {
        rec->set_cut_low_confidence(true);
        ledger->set_chains_cut_low_confidence(ledger->chains_cut_low_confidence() + 1);
      }
      break;
  }
  ctx_.metrics.ChainFinished(pc.backend_name, ModelLabel(pc), StatusLabel(result.status),
                             result.usage, cost, duration);
  ++finished_;
  votes_[index].finished = true;

  if (events_) {
    v1::SolveEvent e;
    *e.mutable_chain_finished()->mutable_chain() = *rec;
    Emit(std::move(e));
    v1::SolveEvent t;
    auto* tally = t.mutable_tally();
    for (const Tally::Entry& entry : tally_.RankedByVotes()) {
      auto* c = tally->add_candidates();
      c->set_answer(entry.answer);
      c->set_votes(entry.votes);
      c->set_share(tally_.parseable() ? static_cast<double>(entry.votes) / tally_.parseable() : 0);
    }
    tally->set_finished(finished_);
    tally->set_planned(static_cast<uint32_t>(chains_.size()));
    tally->set_unparseable(tally_.unparseable());
    Emit(std::move(t));
  }
  CheckStop();
  if (finished_ < chains_.size()) return;  // launched chains still running
  if (!stopped_ && !cancelled_ && !drained_ && chains_.size() < plan_.chains.size()) {
    return LaunchUpTo(chains_.size() + plan_.wave_size);  // the next wave
  }
  Finish();
}

void Run::CheckStop() {
  if (stopped_ || cancelled_ || drained_) return;
  StopCheck check;
  // Ask after each chain that joins the prefix, as if they had arrived one at a time.
  while (!check.stop && prefix_ < votes_.size() && votes_[prefix_].finished) {
    GroupUpTo(prefix_ + 1);
    if (votes_[prefix_].voted) prefix_tally_.Add(prefix_, votes_[prefix_].answer);
    if (response_.chains(prefix_).status() == v1::CHAIN_STATUS_OK) ++prefix_ok_;
    ++prefix_;
    const std::span<const ChainVote> prefix(votes_.data(), prefix_);
    if (!response_.stop().has_cut_threshold()) {
      if (const std::optional<double> t = plan_.stop_rule->CutThreshold(prefix)) {
        cut_threshold_.store(*t, std::memory_order_relaxed);
        response_.mutable_stop()->set_cut_threshold(*t);
      }
    }
    // No early stop before the quorum has finished OK.
    if (prefix_ok_ < plan_.min_ok_chains) continue;
    check = plan_.stop_rule->Check(prefix_tally_, prefix);
  }
  if (!check.stop) return;
  stopped_ = true;
  v1::StopDecision* d = response_.mutable_stop();
  d->set_stopped_early(prefix_ < plan_.chains.size());
  d->set_statistic(check.statistic);
  d->set_after_chains(prefix_);
  if (!d->stopped_early()) return;
  if (events_) {
    v1::SolveEvent e;
    *e.mutable_stop() = *d;
    Emit(std::move(e));
  }
  for (ChainState& c : chains_) {
    if (!c.done && c.handle) c.handle->Cancel();
  }
}

// The auto compute policy: what it decided before the chains, and what the probe showed.
void Run::RecordCompute() {
  if (!plan_.auto_compute) return;
  v1::ComputeDecision* d = response_.mutable_compute();
  *d = plan_.auto_compute->decision;
  const size_t probe = std::min<size_t>(plan_.auto_compute->probe, votes_.size());
  const std::span<const ChainVote> chains(votes_.data(), probe);
  const bool probe_done =
      std::all_of(chains.begin(), chains.end(), [](const ChainVote& v) { return v.finished; });
  d->set_probe(static_cast<uint32_t>(probe));  // the whole plan when it is smaller
  d->set_probe_agreement(Agreement(chains));
  d->set_settled(probe_done && d->probe_agreement() >= plan_.auto_compute->settled);
}

// Against the whole plan: each unlaunched chain would have cost a mean finished chain; each
// cancelled one (by the stop or a confidence cut), that minus what it did generate. Means are over
// chains that finished OK.
void Run::RecordSavings() {
  v1::Ledger* ledger = response_.mutable_ledger();
  ledger->set_chains_not_launched(static_cast<uint32_t>(plan_.chains.size() - chains_.size()));
  if (!response_.stop().stopped_early() && ledger->chains_cut_low_confidence() == 0) return;
  TokenUsage mean;
  uint32_t ok = 0;
  for (const v1::ChainRecord& r : response_.chains()) {
    if (r.status() != v1::CHAIN_STATUS_OK) continue;
    ++ok;
    mean.prompt += r.usage().prompt_tokens();
    mean.completion += r.usage().completion_tokens();
    mean.reasoning += r.usage().reasoning_tokens();
  }
  if (ok == 0) return;
  mean.prompt /= ok;
  mean.completion /= ok;
  mean.reasoning /= ok;
  uint64_t tokens = 0;
  double usd = 0;
  for (size_t i = 0; i < plan_.chains.size(); ++i) {
    const PlannedChain& pc = plan_.chains[i];
    const double full = ctx_.prices.Cost(pc.backend_name, pc.spec.model, mean);
    if (i >= chains_.size()) {
      tokens += mean.total();
      usd += full;
    } else if (response_.chains(i).status() == v1::CHAIN_STATUS_CANCELLED) {
      const v1::TokenUsage& u = response_.chains(i).usage();
      const uint64_t done = u.prompt_tokens() + u.completion_tokens() + u.reasoning_tokens();
      tokens += mean.total() > done ? mean.total() - done : 0;
      usd += std::max(0.0, full - response_.chains(i).cost_usd());
    }
  }
  ledger->set_tokens_saved_estimate(tokens);
  ledger->set_cost_saved_usd_estimate(usd);
  ctx_.metrics.EarlyStopSaved(plan_.stop_rule->name(), tokens, usd);
}

void Run::Finish() {
  if (finished_run_ || selection_calls_) return;
  if (grouper_ && !grouped_tally_) FinishGrouping();
  if ((plan_.verify || plan_.usc) && !selection_considered_) {
    selection_considered_ = true;
    if (StartSelectionCalls()) return;  // Complete() follows when its calls are done
  }
  Complete();
}

// After an early stop only the plan-order prefix the stop rule saw counts.
Run::Counted Run::CountedChains() const {
  const size_t counted = response_.stop().stopped_early() ? prefix_ : chains_.size();
  if (grouped_tally_) return {*grouped_tally_, counted};
  if (response_.stop().stopped_early()) return {prefix_tally_, prefix_};
  return {tally_, chains_.size()};
}

void Run::GroupUpTo(size_t end) {
  if (!grouper_) return;
  for (; grouped_ < end; ++grouped_) {
    ChainVote& v = votes_[grouped_];
    if (!v.voted) continue;
    v.answer = grouper_->Assign(v.answer);
    response_.mutable_chains(grouped_)->set_answer(v.answer);
  }
}

void Run::FinishGrouping() {
  GroupUpTo(chains_.size());
  const size_t counted = response_.stop().stopped_early() ? prefix_ : chains_.size();
  Tally& t = grouped_tally_.emplace();
  for (size_t i = 0; i < counted; ++i) {
    if (votes_[i].voted) {
      t.Add(static_cast<uint32_t>(i), votes_[i].answer);
    } else if (response_.chains(i).status() == v1::CHAIN_STATUS_OK) {
      t.AddUnparseable();
    }
  }
}

bool Run::StartSelectionCalls() {
  const SelectionCallPlan& sp = plan_.verify ? *plan_.verify : *plan_.usc;
  if (plan_.verify) {
    v1::Verification* record = response_.mutable_verification();
    record->set_backend(sp.backend_name);
    record->set_model(sp.spec.model);
    record->set_calls_reserved(sp.calls);
    verification_outcome_.verifier = absl::StrCat(sp.backend_name, "/", sp.spec.model);
  } else {
    v1::UscSelection* record = response_.mutable_usc();
    record->set_backend(sp.backend_name);
    record->set_model(sp.spec.model);
    record->set_call_reserved(sp.calls > 0);
    usc_outcome_.selector = absl::StrCat(sp.backend_name, "/", sp.spec.model);
  }
  const Counted counted = CountedChains();
  const std::vector<Tally::Entry> ranked = counted.tally.RankedByVotes();
  std::string skipped;
  if (cancelled_) {
    skipped = "request cancelled";
  } else if (drained_) {
    skipped = response_.partial_reason();
  } else if (response_.ledger().chains_succeeded() < plan_.min_ok_chains) {
    skipped = "quorum not met";
  } else if (ranked.size() < 2) {
    skipped = ranked.empty() ? "no parseable answer" : "one candidate";
  } else if (sp.calls == 0) {
    skipped = sp.skipped;
  }
  if (!skipped.empty()) {
    if (plan_.verify) {
      response_.mutable_verification()->set_skipped(skipped);
      verification_outcome_.skipped = std::move(skipped);
    } else {
      response_.mutable_usc()->set_skipped(skipped);
      usc_outcome_.skipped = std::move(skipped);
    }
    return false;
  }
  const std::string question = VerifyQuestionText(*plan_.chains.front().spec.messages);
  std::vector<SelectionCallSpec> specs;
  SelectionCalls::CallDone on_call;
  auto self = shared_from_this();
  if (plan_.verify) {
    std::vector<VerifyTask> tasks;
    for (const Tally::Entry& e : ranked) {
      if (tasks.size() == sp.calls) break;
      const ChainState& evidence = chains_[e.first_chain];
      tasks.push_back(VerifyTask{e.answer, e.first_chain, plan_.chains[e.first_chain].spec.seed,
                                 evidence.evidence});
    }
    specs = VerifyCallSpecs(sp, question, std::move(tasks), response_.mutable_verification(),
                            &verification_outcome_);
    on_call = [self](size_t k, const ChainResult& result, const CallCost& cost) {
      RecordVerifyCall(k, result, cost, self->include_text_, self->response_.mutable_verification(),
                       &self->verification_outcome_);
    };
  } else {
    // The counted chains with an answer, in plan order.
    UscTask task;
    for (size_t i = 0; i < counted.chains && task.chains.size() < sp.max_responses; ++i) {
      if (!votes_[i].voted) continue;
      task.chains.push_back(static_cast<uint32_t>(i));
      task.responses.push_back(chains_[i].evidence);
    }
    task.chain_seed = plan_.chains[task.chains.front()].spec.seed;
    specs.push_back(
        UscCallSpec(sp, question, std::move(task), response_.mutable_usc(), &usc_outcome_));
    on_call = [self](size_t, const ChainResult& result, const CallCost& cost) {
      v1::UscSelection* record = self->response_.mutable_usc();
      RecordUscCall(result, cost, self->include_text_, record, &self->usc_outcome_);
      if (self->usc_outcome_.selected.has_value()) {
        const uint32_t chain = self->usc_outcome_.response_chains[*self->usc_outcome_.selected];
        record->mutable_call()->set_answer(self->response_.chains(chain).answer());
      }
    };
  }
  selection_calls_ = std::make_shared<SelectionCalls>(strand_, sp, ctx_.prices, ctx_.metrics,
                                                      static_cast<uint32_t>(plan_.chains.size()),
                                                      response_.mutable_ledger());
  selection_calls_->Start(std::move(specs), std::move(on_call), [self] { self->Complete(); });
  return true;
}

void Run::Complete() {
  if (finished_run_) return;
  finished_run_ = true;
  const Counted counted_chains = CountedChains();
  SelectionInput input{counted_chains.tally, {}};
  const size_t counted = counted_chains.chains;
  input.chains.reserve(counted);
  for (size_t i = 0; i < counted; ++i) input.chains.push_back(&response_.chains(i));
  if (plan_.verify) input.verification = &verification_outcome_;
  if (plan_.usc) input.usc = &usc_outcome_;
  Selection s = plan_.aggregator->Select(input);
  if (plan_.verify && !s.fallback.empty()) {
    response_.mutable_verification()->set_fallback(s.fallback);
  }
  if (plan_.usc && !s.fallback.empty()) response_.mutable_usc()->set_fallback(s.fallback);
  if (s.scorer) *response_.mutable_scorer() = *s.scorer;
  for (size_t i = 0; i < counted; ++i) {
    const v1::ChainRecord& r = response_.chains(i);
    const bool votes = r.status() == v1::CHAIN_STATUS_OK && r.parseable();
    response_.mutable_chains(i)->set_vote_weight(s.chain_weights.empty() ? (votes ? 1.0 : 0.0)
                                                                         : s.chain_weights[i]);
  }
  response_.set_selection_rule(s.rule);
  response_.set_strategy(strategy_);
  response_.set_request_id(request_id_);
  response_.set_unparseable_chains(tally_.unparseable());
  for (auto& c : s.candidates) *response_.add_candidates() = std::move(c);
  if (s.answered) {
    response_.set_answer(s.answer);
    response_.set_confidence(s.confidence);
  }
  const double seconds = SecondsSinceStart(Clock::now());
  response_.set_duration_s(seconds);
  RecordSavings();
  RecordCompute();
  if (!plan_.reference.empty()) {
    response_.set_reference_answer(plan_.reference);
    const bool correct = s.answered && plan_.extractor->Matches(s.answer, plan_.reference);
    response_.set_correct(correct);
    if (!cancelled_) ctx_.metrics.Graded(strategy_, experiment_, plan_.planned, correct);
  }
  ctx_.metrics.RunFinished(experiment_, response_);
  ctx_.metrics.RequestFinished(strategy_, cancelled_ ? "CANCELLED" : "OK", seconds);
  events_ = nullptr;
  DoneCallback done = std::move(done_);
  done_ = nullptr;
  if (done) {
    absl::Status status = FinalStatus();  // before response_ is moved from
    done(std::move(status), std::move(response_));
  }
}

absl::Status Run::FinalStatus() const {
  if (cancelled_) return absl::CancelledError("request cancelled");
  const v1::Ledger& l = response_.ledger();
  if (l.chains_succeeded() >= plan_.min_ok_chains) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      drained_ ? absl::StrCat(response_.partial_reason(), ": ") : "",
      "quorum not met: ", l.chains_succeeded(), " of ", l.chains_launched(),
      " chains finished OK, limits.min_ok_chains is ", plan_.min_ok_chains, "; ", l.chains_failed(),
      " failed", first_error_.empty() ? "" : absl::StrCat(", the first: ", first_error_)));
}

void Run::Emit(v1::SolveEvent event) {
  if (events_) events_(std::move(event));
}

double Run::SecondsSinceStart(Clock::time_point t) const {
  return std::chrono::duration<double>(t - t0_).count();
}

std::string Run::ModelLabel(const PlannedChain& c) const {
  if (c.spec.model == c.backend->default_model() ||
      ctx_.prices.IsPricedModel(c.backend_name, c.spec.model)) {
    return c.spec.model;
  }
  return "other";
}

}  // namespace ptc
