// The calls a strategy makes after the chains, before Select: a verifier's grades
// (Aggregator::verify_settings(), aggregators/verifier/) or a universal self-consistency
// selection (Aggregator::usc_settings(), aggregators/usc/). One mechanism serves both.
//
// After the last counted chain (and after an early stop), the Run decides whether the calls run
// (not after a cancel or a drain, without the quorum, with fewer than two candidates, or when the
// plan reserved none: the response then says why), builds them with the purpose's helpers below
// and starts a SelectionCalls: every call at once, through Backend::Start on the plan's backend,
// with the request's deadline. Each call is charged to the ledger (verify_calls, verify_tokens,
// verify_cost_usd, and the totals tokens and cost_usd) and to the metrics as purpose "verify",
// whatever it was for, then handed to the caller's CallDone; `done` follows once every call has
// reported.
//
//   verifier: VerifyCallSpecs (one call per VerifyTask; records in Verification.calls and
//             grades in VerificationOutcome), RecordVerifyCall (ParseVerifierScore, reply ->
//             grade);
//   usc:      UscCallSpec (one call showing the responses; UscSelection and UscOutcome),
//             RecordUscCall (ParseUscSelection, reply -> the chosen response).
//
// Threading: created, started, cancelled and finished on the Run's strand; backends report on
// their own threads and each report is posted to the strand. `done` is called once, on the
// strand, when every call has reported (after Cancel too: cancelled calls report CANCELLED).
// Lifetime: held by shared_ptr by the Run and by each call's observer; the callbacks hold the
// Run and are released once `done` has been called, so the Run, the plan and the response the
// raw pointers point into outlive every call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aggregators/aggregator.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/strand.hpp"
#include "ptc/v1/orchestrator.pb.h"
#include "service/metrics.h"
#include "service/pricing.h"
#include "service/request_plan.h"

namespace ptc {

// One call: its prompt (one user message) and seed.
struct SelectionCallSpec {
  std::string prompt;
  uint64_t seed = 0;
};

// What a finished call cost.
struct CallCost {
  double usd = 0;
  double seconds = 0;
};

class SelectionCalls : public std::enable_shared_from_this<SelectionCalls> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Clock = std::chrono::steady_clock;
  // Call k (index into Start's calls) has reported; on the strand, after the ledger is charged.
  using CallDone = std::function<void(size_t k, const ChainResult& result, const CallCost& cost)>;

  // `plan`, `prices`, `metrics` and `ledger` must outlive the calls (see above). `first_index`
  // numbers the calls' ChainSpecs after the plan's chains.
  SelectionCalls(Strand strand, const SelectionCallPlan& plan, const PriceTable& prices,
                 Metrics& metrics, uint32_t first_index, v1::Ledger* ledger);

  // On the strand: launches the calls; `call_done` follows for each, then `done` once. Call
  // once, with at least one call.
  void Start(std::vector<SelectionCallSpec> calls, CallDone call_done, std::function<void()> done);
  // On the strand: cancels every call still running (upstream too). Idempotent.
  void Cancel();

 private:
  class Observer;
  struct Call {
    std::unique_ptr<ChainHandle> handle;
    Clock::time_point started;
    bool done = false;
  };

  void OnCallDone(size_t k, ChainResult result, Clock::time_point end);
  std::string ModelLabel() const;

  Strand strand_;
  const SelectionCallPlan& plan_;
  const PriceTable& prices_;
  Metrics& metrics_;
  const uint32_t first_index_;
  v1::Ledger* ledger_;

  std::vector<Call> calls_;
  size_t finished_ = 0;
  CallDone call_done_;
  std::function<void()> done_;
};

// A call's seed from its source chain's (splitmix64 with a per-purpose salt), so that the call
// does not reuse the chain's own random stream on a backend that serves both.
uint64_t SelectionCallSeed(uint64_t chain_seed, uint64_t salt);

// The user messages of a request, joined by blank lines: the question the calls are shown.
std::string VerifyQuestionText(const std::vector<ChatMessage>& messages);

// --- The verifier.

// One candidate to grade.
struct VerifyTask {
  std::string answer;
  uint32_t evidence_chain = 0;  // plan index
  uint64_t chain_seed = 0;      // the evidence chain's seed; the call's seed derives from it
  std::string evidence;         // EvidenceTail of that chain's output
};

// One call per task (BuildVerifyPrompt); adds each call's record to `record` and its grade to
// `outcome` (which also gets the verifier's name from `plan`).
std::vector<SelectionCallSpec> VerifyCallSpecs(const SelectionCallPlan& plan,
                                               const std::string& question,
                                               std::vector<VerifyTask> tasks,
                                               v1::Verification* record,
                                               VerificationOutcome* outcome);
// Reads call k's reply: its score or why there is none, into the record and the grade.
void RecordVerifyCall(size_t k, const ChainResult& result, const CallCost& cost, bool include_text,
                      v1::Verification* record, VerificationOutcome* outcome);

// --- Universal self-consistency.

// The responses the selector is shown.
struct UscTask {
  std::vector<uint32_t> chains;        // plan index of Response k + 1
  std::vector<std::string> responses;  // each cut to the plan's response_bytes (its end)
  uint64_t chain_seed = 0;             // the first response's chain's seed
};

// The selector call (BuildUscPrompt); sets the record's responses and the outcome's.
SelectionCallSpec UscCallSpec(const SelectionCallPlan& plan, const std::string& question,
                              UscTask task, v1::UscSelection* record, UscOutcome* outcome);
// Reads the reply: the chosen response or why there is none, into the record and the outcome.
void RecordUscCall(const ChainResult& result, const CallCost& cost, bool include_text,
                   v1::UscSelection* record, UscOutcome* outcome);

}  // namespace ptc
