// One Solve request. A Run owns its plan, launches its chains (all at once, or in waves), tallies
// answers as chains finish, asks the stop rule whether it has enough (then cancels the chains
// still running and launches no more), and selects the answer when the last launched chain is
// done; for a strategy that makes calls after the chains (a verifier's grades, a usc selection),
// after that phase (service/verification.h), whose calls Cancel() cancels too. With a free-text
// answer format, answers are grouped (aggregators/extract/free_text.h) in plan order as the
// stop rule's prefix grows and, for the rest, before the calls and selection: each counted
// ChainRecord.answer then holds its group's answer (the chain_finished events carry the chain's
// own).
//
// The stop rule sees chains in plan order: chain k counts once chains 0..k-1 are done, as if they
// had been sampled one after another. After an early stop the answer is selected from exactly the
// chains the rule saw. So a seeded request gives the same answer and the same decision whatever
// order its chains happen to finish in. Everything it does runs on its own
// strand (on the server's next io_context in turn, where its chains run too), so it needs no
// locks; backends report on their own threads and the Run posts their reports to the strand.
//
// Lifetime: held by shared_ptr; the per-chain observers hold it too, so it lives until the last
// chain is done even if the caller lets go.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "aggregators/tally.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/strand.hpp"
#include "common/io_contexts.h"
#include "ptc/v1/orchestrator.pb.h"
#include "service/backend_set.h"
#include "service/metrics.h"
#include "service/pricing.h"
#include "service/request_plan.h"
#include "service/verification.h"

namespace ptc {

// What every Run uses; outlives them all.
struct RunContext {
  IoContexts io;  // each Run takes the next in turn (see common/io_contexts.h)
  const BackendSet& backends;
  const PriceTable& prices;
  const v1::ServerLimits& limits;
  Metrics& metrics;
};

class Run : public std::enable_shared_from_this<Run> {
 public:
  using Clock = std::chrono::steady_clock;
  // Progress events (chain started, chain finished, tally); called on the Run's strand, in order.
  using EventSink = std::function<void(v1::SolveEvent)>;
  // Called exactly once, on the strand: OK with the response, or CANCELLED with the partial
  // response when Cancel() came first.
  using DoneCallback = std::function<void(absl::Status, v1::SolveResponse)>;

  // Validates and plans the request (see request_plan.h); nothing is launched yet. `deadline` (the
  // call's) reaches every chain: backends neither retry nor wait upstream past it.
  // `extra_cost_cap`: see PlanRequest.
  static absl::StatusOr<std::shared_ptr<Run>> Create(
      const v1::SolveRequest& request, RunContext& ctx,
      Clock::time_point deadline = Clock::time_point::max(),
      double extra_cost_cap = std::numeric_limits<double>::infinity());

  // Launches the chains. Call once. `events` may be empty.
  void Start(EventSink events, DoneCallback done);
  // Cancels every chain still running (upstream too); the Run then finishes with CANCELLED.
  // Thread-safe, idempotent, non-blocking.
  void Cancel();
  // Ends the Run early with what it has (for a server shutdown): chains still running are
  // cancelled upstream, no more are launched and no verification starts; the answer is selected
  // from the chains that finished and the response's partial_reason is `reason`. The Run finishes
  // OK when the quorum had finished, else UNAVAILABLE. Thread-safe, idempotent, non-blocking; no-op
  // after Cancel or the end.
  void Drain(std::string reason);

  const std::string& strategy() const { return strategy_; }
  // The validated plan (chains, worst-case reservation). Read-only; valid for the Run's life.
  const RequestPlan& plan() const { return plan_; }

 private:
  class Observer;
  struct ChainState {
    std::unique_ptr<ChainHandle> handle;
    Clock::time_point started;
    bool done = false;
    bool cut = false;  // cancelled by the stop rule's confidence cut
    // Its output's end, for a verifier or the usc selector (OK parseable chains only).
    std::string evidence;
  };
  // The chains that count for selection, and their tally (see Finish).
  struct Counted {
    const Tally& tally;
    size_t chains;
  };

  Run(const v1::SolveRequest& request, RunContext& ctx, RequestPlan plan);

  void Launch();
  void LaunchUpTo(size_t count);  // launches plan chains [launched, count)
  void CheckStop();
  // Cancels a running chain whose confidence fell below the cut threshold (from its observer).
  void CutChain(uint32_t index);
  void RecordSavings();
  void RecordCompute();
  // `confidence`: the chain's statistics when the strategy wants log-probabilities and some
  // token carried them.
  void OnChainDone(uint32_t index, ChainResult result, std::optional<Clock::time_point> first_token,
                   Clock::time_point end, std::optional<v1::ChainConfidence> confidence);
  // After the last launched chain: the calls after the chains when the strategy makes any, then
  // Complete().
  void Finish();
  Counted CountedChains() const;
  // Free text: assigns the answers of chains [grouped_, end) (all finished) to their groups.
  void GroupUpTo(size_t end);
  // Free text: groups every launched chain and tallies the counted ones (grouped_tally_).
  void FinishGrouping();
  // Starts the verifier's or the usc selector's calls; false (and the response says why) when
  // none is to run.
  bool StartSelectionCalls();
  void Complete();  // selects the answer and calls done
  // OK, CANCELLED (the client cancelled), or UNAVAILABLE when fewer chains than the quorum
  // finished OK.
  absl::Status FinalStatus() const;
  void Emit(v1::SolveEvent event);
  double SecondsSinceStart(Clock::time_point t) const;
  std::string ModelLabel(const PlannedChain& c) const;

  RunContext& ctx_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  RequestPlan plan_;
  const std::string strategy_;
  const bool include_text_;
  const std::string experiment_;
  const std::string request_id_;

  // Strand-only state.
  EventSink events_;
  DoneCallback done_;
  Clock::time_point t0_;
  std::vector<ChainState> chains_;  // launched chains, in plan order
  std::vector<ChainVote> votes_;    // every planned chain, for the stop rule
  v1::SolveResponse response_;
  Tally tally_;         // every finished chain (events, unparseable count)
  Tally prefix_tally_;  // chains 0..prefix_-1, all finished: what the stop rule sees
  uint32_t prefix_ = 0;
  uint32_t prefix_ok_ = 0;  // chains of the prefix that finished OK (for the quorum)
  uint32_t finished_ = 0;
  std::string first_error_;  // the first failed chain's error, for a missed quorum
  // Read by observers on backend threads; -inf (nothing is cut) until the stop rule sets it (and
  // response_.stop().cut_threshold records it).
  std::atomic<double> cut_threshold_{-std::numeric_limits<double>::infinity()};
  bool cancelled_ = false;
  bool drained_ = false;  // Drain(): answer with what has finished
  bool stopped_ = false;  // the stop rule said enough
  bool finished_run_ = false;
  bool selection_considered_ = false;  // Finish has asked for the calls after the chains once
  std::shared_ptr<SelectionCalls> selection_calls_;  // once started
  VerificationOutcome verification_outcome_;         // the verifier's (plan_.verify)
  UscOutcome usc_outcome_;                           // the usc selector's (plan_.usc)
  // Free text: groups answers in plan order; grouped_ chains assigned so far.
  std::unique_ptr<AnswerGrouper> grouper_;
  uint32_t grouped_ = 0;
  std::optional<Tally> grouped_tally_;  // the counted chains, grouped (set by FinishGrouping)
};

}  // namespace ptc
