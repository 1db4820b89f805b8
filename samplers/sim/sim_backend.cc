#include "samplers/sim/sim_backend.h"

#include <chrono>

#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "common/status_macros.h"

namespace ptc::sim {
namespace {

using Strand = StrandPool::Strand;

std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}

// One simulated chain. All of its state is touched only on its strand.
class SimChain : public std::enable_shared_from_this<SimChain> {
 public:
  SimChain(Strand strand, const ChainPlan& plan, uint32_t top_k, uint32_t chunk,
           std::shared_ptr<ChainObserver> observer)
      : strand_(std::move(strand)),
        timer_(strand_),
        plan_(plan),
        gen_(plan, top_k),
        chunk_(chunk),
        observer_(std::move(observer)) {
    result_.usage.prompt = plan.prompt_tokens;
  }

  void Begin() {
    boost::asio::post(strand_, [self = shared_from_this()] { self->Wait(self->plan_.ttft_s); });
  }

  void Cancel() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->cancelled_ = true;
      self->timer_.cancel();
    });
  }

 private:
  void Wait(double seconds) {
    timer_.expires_after(Seconds(seconds));
    timer_.async_wait(
        [self = shared_from_this()](const boost::system::error_code&) { self->Step(); });
  }

  void Step() {
    if (done_) return;
    if (cancelled_) return Finish(ChainStatus::kCancelled, "cancelled");
    if (plan_.fail) {
      result_.error = absl::UnavailableError("simulated backend failure");
      return Finish(ChainStatus::kFailed, "error");
    }
    std::string piece;
    logprobs_.clear();
    top_logprobs_.clear();
    const uint32_t n = gen_.NextBody(chunk_, &piece, &logprobs_, &top_logprobs_);
    if (n > 0) {
      ChainDelta d;
      (plan_.thinking ? d.reasoning : d.text) = piece;
      d.tokens = n;
      d.logprobs = logprobs_;
      d.top_logprobs = top_logprobs_;
      d.top_k = logprobs_.empty() ? 0 : static_cast<uint32_t>(top_logprobs_.size() / n);
      (plan_.thinking ? result_.usage.reasoning : result_.usage.completion) += n;
      (plan_.thinking ? result_.reasoning : result_.text) += piece;
      observer_->OnDelta(d);
      return Wait(n * plan_.token_interval_s);
    }
    uint32_t closing_tokens = 0;
    std::string closing = gen_.Closing(&closing_tokens);
    if (!closing.empty()) {
      ChainDelta d;
      d.text = closing;
      d.tokens = closing_tokens;
      result_.usage.completion += closing_tokens;
      result_.text += closing;
      observer_->OnDelta(d);
    }
    Finish(ChainStatus::kOk, plan_.truncated ? "length" : "stop");
  }

  void Finish(ChainStatus status, const char* reason) {
    done_ = true;
    result_.status = status;
    result_.finish_reason = reason;
    if (gen_.MeanConfidence() > 0) result_.mean_token_confidence = gen_.MeanConfidence();
    observer_->OnDone(std::move(result_));
    observer_.reset();
  }

  Strand strand_;
  boost::asio::steady_timer timer_;
  const ChainPlan plan_;
  ChainTextGenerator gen_;
  const uint32_t chunk_;
  std::shared_ptr<ChainObserver> observer_;
  ChainResult result_;
  std::vector<float> logprobs_, top_logprobs_;
  bool cancelled_ = false;
  bool done_ = false;
};

class SimChainHandle : public ChainHandle {
 public:
  explicit SimChainHandle(std::shared_ptr<SimChain> chain) : chain_(std::move(chain)) {}
  void Cancel() override { chain_->Cancel(); }

 private:
  std::shared_ptr<SimChain> chain_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> SimBackend::Create(const v1::SimBackendConfig& config,
                                                            BackendDeps& deps) {
  ASSIGN_OR_RETURN(auto model, SimModel::Create(config));
  return std::make_unique<SimBackend>(std::move(model), deps.io);
}

SimBackend::SimBackend(std::shared_ptr<const SimModel> model, const IoContexts& io)
    : model_(std::move(model)), strands_(io) {
  caps_.native_n = false;
  caps_.logprobs = true;
  caps_.temperature = true;
  caps_.streaming = true;
  caps_.thinking = ThinkingStyle::kBudgetTokens;
}

std::unique_ptr<ChainHandle> SimBackend::Start(const ChainSpec& spec,
                                               std::shared_ptr<ChainObserver> observer) {
  const PromptMatch match = model_->Match(*spec.messages);
  const ChainPlan plan = model_->Plan(match, spec);
  auto chain =
      std::make_shared<SimChain>(strands_.Next(), plan, std::min(spec.top_logprobs, 20u),
                                 model_->config().stream_chunk_tokens(), std::move(observer));
  chain->Begin();
  return std::make_unique<SimChainHandle>(std::move(chain));
}

PTC_REGISTER_BACKEND(v1::SimBackendConfig, &SimBackend::Create);

}  // namespace ptc::sim
