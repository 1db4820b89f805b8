// HttpBackend: a Backend that runs chains over HTTP with a ChainProtocol (OpenAI-compatible,
// Anthropic). It owns the retries and the mapping of HTTP exchanges to chains:
//
// - One upstream request per chain, or, with native n, one request for several chains started
//   together by StartMany (their choices are demultiplexed by index). Cancelling one chain of a
//   shared request ends that chain at once (kCancelled, usage so far); the upstream request is
//   closed when every chain on it is cancelled.
// - Retries: an attempt that fails before any output reached the observer is retried when the
//   protocol says it is retryable (429, 5xx, 529, reset, timeout), with exponential backoff and
//   full jitter, honouring `retry-after`, never past the chain's deadline, at most
//   RetryOptions::max_attempts attempts, and within the backend's retry budget (retry_budget.h:
//   retries at most a share of first attempts). Once output has been streamed to the observer, a
//   failure ends the chain (kFailed, with the usage so far): a retry would repeat text the caller
//   has seen.
// - Hedging (HedgeOptions): a straggling attempt gets a second one beside it; the first to stream
//   output wins and the other is cancelled.
// - Errors reach the chain as ChainResult::error with the protocol's code and message, prefixed
//   with the backend name; they never carry a key.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>

#include "boost/asio/io_context.hpp"
#include "common/strand_pool.h"
#include "samplers/backend.h"
#include "samplers/http/chain_protocol.h"
#include "samplers/http/http_client.h"
#include "samplers/http/retry_budget.h"

namespace ptc::http {

struct RetryOptions {
  uint32_t max_attempts = 4;  // 1 = no retry
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{20'000};
  double multiplier = 2.0;
  uint64_t jitter_seed = 0;  // 0 = seeded from the clock
  RetryBudgetOptions budget;
};

// Hedged requests: when an attempt has streamed nothing for `after` (a straggler: a slow queue or
// a stuck connection), a second attempt is sent beside it (to the least-loaded endpoint); the
// first to stream output is kept and the other is cancelled. Bounded: hedges are at most
// `max_ratio` of first attempts, at most one per upstream request, and count as attempts.
struct HedgeOptions {
  std::chrono::milliseconds after{0};  // 0 = no hedging
  double max_ratio = 0.1;
};

struct HttpBackendOptions {
  std::string name;  // the configured instance name, used in error messages
  RetryOptions retry;
  HedgeOptions hedge;
  // Chains per upstream request when the protocol has native n; 1 = one request per chain.
  uint32_t max_n_per_request = 1;
};

class HttpBackend : public Backend {
 public:
  HttpBackend(std::shared_ptr<const ChainProtocol> protocol, std::shared_ptr<Client> client,
              HttpBackendOptions options, const IoContexts& io);
  ~HttpBackend() override;

  const BackendCapabilities& capabilities() const override;
  std::string_view default_model() const override;
  std::unique_ptr<ChainHandle> Start(const ChainSpec& spec,
                                     std::shared_ptr<ChainObserver> observer) override;
  std::vector<std::unique_ptr<ChainHandle>> StartMany(
      std::span<const ChainSpec> specs,
      std::span<const std::shared_ptr<ChainObserver>> observers) override;

  const Client& client() const { return *client_; }

  class Upstream;  // one upstream request and its chains (http_backend.cc)

 private:
  // Backoff delays: full jitter over the exponential bound. Thread-safe; shared with running
  // upstream requests so that they never need the backend itself (it may be destroyed first).
  class Jitter {
   public:
    explicit Jitter(const RetryOptions& retry);
    // The wait before attempt `attempt + 1` (attempts count from 1).
    std::chrono::milliseconds Backoff(uint32_t attempt);

   private:
    const RetryOptions retry_;
    std::mutex mu_;
    std::mt19937_64 rng_;
  };

  std::shared_ptr<const ChainProtocol> protocol_;
  std::shared_ptr<Client> client_;
  HttpBackendOptions options_;
  std::shared_ptr<Jitter> jitter_;
  std::shared_ptr<RetryBudget> retry_budget_;  // shared with running upstream requests
  std::shared_ptr<RetryBudget> hedge_budget_;  // the same kind of budget, for hedges
  // Upstream requests take their strands from it (not one made per request), on the caller's
  // io_context: a Run's chains run on the Run's thread.
  StrandPool strands_;
};

}  // namespace ptc::http
