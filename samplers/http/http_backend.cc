#include "samplers/http/http_backend.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/defer.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"

namespace ptc::http {
namespace {

namespace asio = boost::asio;

constexpr size_t kMaxErrorBody = 64 << 10;
constexpr size_t kMaxBody = 64 << 20;

}  // namespace

// One upstream request (and its retries) serving one or more chains (native n). All state is
// touched only on `strand_`: observer calls for its chains come from here, in order, never
// overlapping.
class HttpBackend::Upstream : public std::enable_shared_from_this<HttpBackend::Upstream>,
                              public DecodeSink {
 public:
  Upstream(const HttpBackend& backend, const ChainSpec& spec,
           std::vector<std::shared_ptr<ChainObserver>> observers)
      : protocol_(backend.protocol_),
        client_(backend.client_),
        name_(backend.options_.name),
        max_attempts_(std::max<uint32_t>(1, backend.options_.retry.max_attempts)),
        jitter_(backend.jitter_),
        retry_budget_(backend.retry_budget_),
        hedge_budget_(backend.hedge_budget_),
        hedge_(backend.options_.hedge),
        strand_(backend.strands_.Next()),
        backoff_timer_(strand_),
        hedge_timer_(strand_),
        spec_(spec),
        chains_(observers.size()) {
    for (size_t i = 0; i < observers.size(); ++i) chains_[i].observer = std::move(observers[i]);
  }

  // Deferred: when the caller runs on an io thread (the Run's strand), the attempt starts on that
  // thread after the caller's handler, without waking another thread for it.
  void Begin() {
    asio::defer(strand_, [self = shared_from_this()] { self->StartAttempt(); });
  }

  void Cancel(uint32_t choice) {
    asio::post(strand_, [self = shared_from_this(), choice] { self->CancelOnStrand(choice); });
  }

  // DecodeSink
  void OnDelta(uint32_t choice, const ChainDelta& delta) override {
    if (choice >= chains_.size() || chains_[choice].done) return;
    output_sent_ = true;
    chains_[choice].observer->OnDelta(delta);
  }

 private:
  struct Chain {
    std::shared_ptr<ChainObserver> observer;
    bool done = false;
  };
  // An attempt in flight that has not streamed output yet (with hedging there may be two).
  struct Attempt {
    uint32_t id = 0;
    std::unique_ptr<Call> call;
    std::optional<ResponseHead> head;
    std::string error_body;  // of a non-2xx response, bounded
  };

  // Passes the client's calls for one attempt to the Upstream. The exchange runs on the
  // Upstream's strand (Client::Start is given it), so these calls already run there, in order:
  // no hand-off.
  class AttemptHandler : public ResponseHandler {
   public:
    AttemptHandler(std::shared_ptr<Upstream> up, uint32_t attempt)
        : up_(std::move(up)), attempt_(attempt) {}
    void OnHead(const ResponseHead& head) override { up_->OnHead(attempt_, head); }
    void OnBody(std::string_view bytes) override { up_->OnBody(attempt_, bytes); }
    void OnComplete(absl::Status status) override {
      std::shared_ptr<Upstream> up = std::move(up_);
      up->OnComplete(attempt_, status);
    }

   private:
    std::shared_ptr<Upstream> up_;
    const uint32_t attempt_;
  };

  uint32_t n() const { return static_cast<uint32_t>(chains_.size()); }
  bool AnyActive() const {
    return std::any_of(chains_.begin(), chains_.end(), [](const Chain& c) { return !c.done; });
  }
  std::string Prefixed(absl::string_view message) const {
    return absl::StrCat(name_, ": ", message);
  }

  // Sends an attempt. A hedge goes out beside the attempt in flight (which keeps running); any
  // other attempt is a first attempt or a retry, with nothing else in flight.
  void StartAttempt(bool hedge = false) {
    if (!AnyActive()) return;
    absl::StatusOr<Request> request = protocol_->BuildRequest(spec_, n());
    if (!request.ok()) {
      return FailAll(absl::Status(request.status().code(), Prefixed(request.status().message())));
    }
    request->deadline = spec_.deadline;
    if (attempt_ == 0) {
      retry_budget_->OnRequest();
      hedge_budget_->OnRequest();
    }
    ++attempt_;
    Attempt& a = attempts_.emplace_back();
    a.id = attempt_;
    a.call =
        client_->Start(*std::move(request),
                       std::make_shared<AttemptHandler>(shared_from_this(), attempt_), strand_);
    if (!hedge && hedge_.after.count() > 0 && hedges_ == 0) {
      hedge_timer_.expires_after(hedge_.after);
      hedge_timer_.async_wait(
          [self = shared_from_this(), id = attempt_](const boost::system::error_code& ec) {
            if (!ec) self->MaybeHedge(id);
          });
    }
  }

  // The attempt `id` has produced no output for hedge_.after: send a second one beside it, if the
  // hedge budget allows. Whichever streams output first is kept; the other is cancelled.
  void MaybeHedge(uint32_t id) {
    if (!AnyActive() || winner_ || attempts_.size() != 1 || attempts_.front().id != id) return;
    if (attempt_ >= max_attempts_ || !hedge_budget_->TryRetry(absl::Now())) return;
    ++hedges_;
    StartAttempt(/*hedge=*/true);
  }

  Attempt* Find(uint32_t id) {
    for (Attempt& a : attempts_) {
      if (a.id == id) return &a;
    }
    return nullptr;
  }

  static bool IsSuccess(const ResponseHead& head) {
    return head.status >= 200 && head.status < 300;
  }

  void OnHead(uint32_t id, ResponseHead head) {
    if (Attempt* a = Find(id)) a->head = std::move(head);
  }

  // Attempt `id` is the one whose response the chains get: the others are cancelled.
  void Choose(uint32_t id) {
    Attempt* a = Find(id);
    winner_ = id;
    head_ = a->head;
    call_ = std::move(a->call);
    for (Attempt& other : attempts_) {
      if (other.id != id && other.call) other.call->Cancel();
    }
    attempts_.clear();  // a cancelled attempt's completion finds nothing and is ignored
    hedge_timer_.cancel();
    decoder_ = protocol_->NewDecoder(spec_, n());
    sse_.emplace();
    body_.clear();
    decode_error_.reset();
  }

  void OnBody(uint32_t id, std::string_view bytes) {
    if (!winner_) {
      Attempt* a = Find(id);
      if (a == nullptr || !a->head) return;
      if (!IsSuccess(*a->head)) {
        a->error_body.append(bytes.substr(0, kMaxErrorBody - a->error_body.size()));
        return;
      }
      Choose(id);
    }
    if (*winner_ != id || decode_error_ || !AnyActive()) return;
    if (!protocol_->streaming()) {
      if (body_.size() + bytes.size() > kMaxBody) {
        StopAttempt(absl::ResourceExhaustedError(
            absl::StrCat("response body larger than ", kMaxBody, " bytes")));
        return;
      }
      body_ += bytes;
      return;
    }
    absl::Status decoded = absl::OkStatus();
    const absl::Status fed = sse_->Feed(bytes, [&](const SseEvent& event) {
      if (decoded.ok() && AnyActive()) decoded = decoder_->OnEvent(event, *this);
    });
    if (!fed.ok()) {
      StopAttempt(fed);
    } else if (!decoded.ok()) {
      UpstreamError e = decoder_->ClassifyStreamError(decoded);
      StopAttempt(e.status, e.retryable, e.retry_after);
    }
  }

  // A decoding failure: the rest of the response is not wanted.
  void StopAttempt(absl::Status status, bool retryable = false,
                   std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
    decode_error_ = UpstreamError{std::move(status), retryable, retry_after};
    if (call_) call_->Cancel();
  }

  void OnComplete(uint32_t id, const absl::Status& status) {
    if (winner_ && *winner_ == id) return WinnerComplete(status);
    Attempt* a = Find(id);
    if (a == nullptr) return;  // cancelled when another attempt won
    if (winner_ || !AnyActive()) return;
    if (status.ok() && a->head && IsSuccess(*a->head)) {
      // A 2xx response without a body byte: it is the response.
      Choose(id);
      return WinnerComplete(status);
    }
    UpstreamError error;
    if (!status.ok()) {
      const bool retryable = status.code() == absl::StatusCode::kUnavailable ||
                             status.code() == absl::StatusCode::kDeadlineExceeded;
      error = UpstreamError{status, retryable, std::nullopt};
    } else if (!a->head) {
      error = UpstreamError{absl::UnavailableError("no response"), true, {}};
    } else {
      error = protocol_->ClassifyError(*a->head, a->error_body);
    }
    attempts_.erase(attempts_.begin() + (a - attempts_.data()));
    if (!attempts_.empty()) return;  // a hedge (or the attempt it hedged) is still going
    hedge_timer_.cancel();
    Failed(error);
  }

  void WinnerComplete(const absl::Status& status) {
    call_.reset();
    winner_.reset();
    if (!AnyActive()) return;
    if (decode_error_) return Failed(*decode_error_);
    if (!status.ok()) {
      const bool retryable = status.code() == absl::StatusCode::kUnavailable ||
                             status.code() == absl::StatusCode::kDeadlineExceeded;
      return Failed(UpstreamError{status, retryable, std::nullopt});
    }
    if (!protocol_->streaming()) {
      if (absl::Status s = decoder_->OnBody(body_, *this); !s.ok()) {
        return Failed(decoder_->ClassifyStreamError(s));
      }
    }
    if (!decoder_->complete()) {
      return Failed(UpstreamError{absl::UnavailableError("stream ended early"), true, {}});
    }
    for (uint32_t i = 0; i < n(); ++i) {
      if (chains_[i].done) continue;
      ChainResult result = decoder_->TakeResult(i);
      result.status = ChainStatus::kOk;
      Done(i, std::move(result));
    }
  }

  void Failed(const UpstreamError& error) {
    const auto now = std::chrono::steady_clock::now();
    bool over_budget = false;
    if (error.retryable && !output_sent_ && attempt_ < max_attempts_) {
      std::chrono::milliseconds delay = jitter_->Backoff(attempt_);
      if (error.retry_after) delay = std::max(delay, *error.retry_after);
      over_budget = spec_.deadline - now > delay && !retry_budget_->TryRetry(absl::Now());
      if (spec_.deadline - now > delay && !over_budget) {
        backoff_timer_.expires_after(delay);
        backoff_timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) {
          self->StartAttempt();
        });
        return;
      }
    }
    std::string message(error.status.message());
    if (attempt_ > 1) absl::StrAppend(&message, " (after ", attempt_, " attempts)");
    if (over_budget) {
      absl::StrAppend(&message, " (not retried: the backend's retry budget of ",
                      retry_budget_->options().ratio * 100, "% of requests + ",
                      retry_budget_->options().min_per_second, "/s is spent)");
    }
    FailAll(absl::Status(error.status.code(), Prefixed(message)));
  }

  void FailAll(const absl::Status& status) {
    for (uint32_t i = 0; i < n(); ++i) {
      if (chains_[i].done) continue;
      ChainResult result = decoder_ ? decoder_->TakeResult(i) : ChainResult{};
      result.status = ChainStatus::kFailed;
      result.error = status;
      result.finish_reason = "error";
      Done(i, std::move(result));
    }
  }

  void CancelOnStrand(uint32_t choice) {
    if (choice >= n() || chains_[choice].done) return;
    ChainResult result = decoder_ ? decoder_->TakeResult(choice) : ChainResult{};
    result.status = ChainStatus::kCancelled;
    result.error = absl::OkStatus();
    result.finish_reason = "cancelled";
    Done(choice, std::move(result));
    if (!AnyActive()) {
      // Nobody wants the response any more: close the upstream request.
      if (call_) call_->Cancel();
      for (Attempt& a : attempts_) {
        if (a.call) a.call->Cancel();
      }
      backoff_timer_.cancel();
      hedge_timer_.cancel();
    }
  }

  void Done(uint32_t choice, ChainResult result) {
    Chain& chain = chains_[choice];
    chain.done = true;
    std::shared_ptr<ChainObserver> observer = std::move(chain.observer);
    observer->OnDone(std::move(result));
  }

  const std::shared_ptr<const ChainProtocol> protocol_;
  const std::shared_ptr<Client> client_;
  const std::string name_;
  const uint32_t max_attempts_;
  const std::shared_ptr<Jitter> jitter_;
  const std::shared_ptr<RetryBudget> retry_budget_;
  const std::shared_ptr<RetryBudget> hedge_budget_;
  const HedgeOptions hedge_;
  Strand strand_;
  asio::steady_timer backoff_timer_;
  asio::steady_timer hedge_timer_;
  const ChainSpec spec_;
  std::vector<Chain> chains_;

  uint32_t attempt_ = 0;  // attempts sent so far (hedges included); ids count from 1
  uint32_t hedges_ = 0;
  std::vector<Attempt> attempts_;     // in flight, before one streams output
  std::optional<uint32_t> winner_;    // the attempt whose response the chains get
  std::unique_ptr<Call> call_;        // the winner's
  std::optional<ResponseHead> head_;  // the winner's
  std::unique_ptr<ResponseDecoder> decoder_;
  std::optional<SseParser> sse_;
  std::string body_;
  std::optional<UpstreamError> decode_error_;
  bool output_sent_ = false;
};

namespace {

class UpstreamHandle : public ChainHandle {
 public:
  UpstreamHandle(std::shared_ptr<HttpBackend::Upstream> up, uint32_t choice)
      : up_(std::move(up)), choice_(choice) {}
  void Cancel() override;

 private:
  std::shared_ptr<HttpBackend::Upstream> up_;
  uint32_t choice_;
};

}  // namespace

HttpBackend::HttpBackend(std::shared_ptr<const ChainProtocol> protocol,
                         std::shared_ptr<Client> client, HttpBackendOptions options,
                         const IoContexts& io)
    : protocol_(std::move(protocol)),
      client_(std::move(client)),
      options_(std::move(options)),
      jitter_(std::make_shared<Jitter>(options_.retry)),
      retry_budget_(std::make_shared<RetryBudget>(options_.retry.budget, absl::Now())),
      hedge_budget_(std::make_shared<RetryBudget>(
          RetryBudgetOptions{.ratio = options_.hedge.max_ratio, .min_per_second = 0}, absl::Now())),
      strands_(io) {}

HttpBackend::~HttpBackend() = default;

const BackendCapabilities& HttpBackend::capabilities() const { return protocol_->capabilities(); }

std::string_view HttpBackend::default_model() const { return protocol_->default_model(); }

HttpBackend::Jitter::Jitter(const RetryOptions& retry)
    : retry_(retry),
      rng_(retry.jitter_seed != 0
               ? retry.jitter_seed
               : static_cast<uint64_t>(
                     std::chrono::steady_clock::now().time_since_epoch().count())) {}

std::chrono::milliseconds HttpBackend::Jitter::Backoff(uint32_t attempt) {
  const RetryOptions& r = retry_;
  const double bound =
      std::min(static_cast<double>(r.max_backoff.count()),
               static_cast<double>(r.initial_backoff.count()) *
                   std::pow(std::max(1.0, r.multiplier), static_cast<double>(attempt - 1)));
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_real_distribution<double> jitter(0.0, std::max(0.0, bound));
  return std::chrono::milliseconds(static_cast<int64_t>(jitter(rng_)));
}

std::unique_ptr<ChainHandle> HttpBackend::Start(const ChainSpec& spec,
                                                std::shared_ptr<ChainObserver> observer) {
  auto handles = StartMany(std::span<const ChainSpec>(&spec, 1),
                           std::span<const std::shared_ptr<ChainObserver>>(&observer, 1));
  return std::move(handles.front());
}

std::vector<std::unique_ptr<ChainHandle>> HttpBackend::StartMany(
    std::span<const ChainSpec> specs, std::span<const std::shared_ptr<ChainObserver>> observers) {
  const size_t per_request =
      protocol_->capabilities().native_n ? std::max<uint32_t>(1, options_.max_n_per_request) : 1;
  std::vector<std::unique_ptr<ChainHandle>> handles;
  handles.reserve(specs.size());
  for (size_t first = 0; first < specs.size(); first += per_request) {
    const size_t count = std::min(per_request, specs.size() - first);
    std::vector<std::shared_ptr<ChainObserver>> group(observers.begin() + first,
                                                      observers.begin() + first + count);
    auto up = std::make_shared<Upstream>(*this, specs[first], std::move(group));
    for (size_t i = 0; i < count; ++i) {
      handles.push_back(std::make_unique<UpstreamHandle>(up, static_cast<uint32_t>(i)));
    }
    up->Begin();
  }
  return handles;
}

void UpstreamHandle::Cancel() { up_->Cancel(choice_); }

}  // namespace ptc::http
