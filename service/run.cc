#include "service/run.h"

#include "aggregators/confidence/confidence_tracker.h"
#include "boost/asio/post.hpp"
#include "common/status_macros.h"

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
    boost::asio::post(run->strand_,
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

namespace {

v1::ChainStatus ToProto(ChainStatus s) {
  switch (s) {
    case ChainStatus::kOk:
      return v1::CHAIN_STATUS_OK;
    case ChainStatus::kFailed:
      return v1::CHAIN_STATUS_FAILED;
    case ChainStatus::kCancelled:
      return v1::CHAIN_STATUS_CANCELLED;
  }
  return v1::CHAIN_STATUS_UNSPECIFIED;
}

const char* StatusLabel(ChainStatus s) {
  switch (s) {
    case ChainStatus::kOk:
      return "ok";
    case ChainStatus::kFailed:
      return "failed";
    case ChainStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

void SetUsage(const TokenUsage& u, v1::TokenUsage* out) {
  out->set_prompt_tokens(u.prompt);
  out->set_completion_tokens(u.completion);
  out->set_reasoning_tokens(u.reasoning);
}

void AddUsage(const TokenUsage& u, v1::TokenUsage* out) {
  out->set_prompt_tokens(out->prompt_tokens() + u.prompt);
  out->set_completion_tokens(out->completion_tokens() + u.completion);
  out->set_reasoning_tokens(out->reasoning_tokens() + u.reasoning);
}

}  // namespace

absl::StatusOr<std::shared_ptr<Run>> Run::Create(const v1::SolveRequest& request, RunContext& ctx,
                                                 Clock::time_point deadline) {
  ASSIGN_OR_RETURN(RequestPlan plan, PlanRequest(request, ctx.limits, ctx.backends, ctx.prices));
  for (PlannedChain& c : plan.chains) c.spec.deadline = deadline;
  return std::shared_ptr<Run>(new Run(request, ctx, std::move(plan)));
}

Run::Run(const v1::SolveRequest& request, RunContext& ctx, RequestPlan plan)
    : ctx_(ctx),
      strand_(boost::asio::make_strand(ctx.io)),
      plan_(std::move(plan)),
      strategy_(plan_.aggregator->name()),
      include_text_(request.include_chain_text()),
      experiment_(request.experiment()),
      request_id_(request.request_id()) {}

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
  if (cancelled_) return Finish();
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
  if (!stopped_ && !cancelled_ && chains_.size() < plan_.chains.size()) {
    return LaunchUpTo(chains_.size() + plan_.wave_size);  // the next wave
  }
  Finish();
}

void Run::CheckStop() {
  if (stopped_ || cancelled_) return;
  StopCheck check;
  // Ask after each chain that joins the prefix, as if they had arrived one at a time.
  while (!check.stop && prefix_ < votes_.size() && votes_[prefix_].finished) {
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
  if (finished_run_) return;
  finished_run_ = true;
  // After an early stop only the plan-order prefix the stop rule saw counts.
  const bool prefix_only = response_.stop().stopped_early();
  SelectionInput input{prefix_only ? prefix_tally_ : tally_, {}};
  const size_t counted = prefix_only ? prefix_ : chains_.size();
  input.chains.reserve(counted);
  for (size_t i = 0; i < counted; ++i) input.chains.push_back(&response_.chains(i));
  Selection s = plan_.aggregator->Select(input);
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
