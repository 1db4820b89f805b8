// Admission control for the whole server: at most `max_chains_in_flight` planned chains of
// admitted requests at once, and a bounded FIFO queue of requests waiting for room. A request
// that does not fit waits (never on a thread: its callback runs later on the io_context) until
// room frees up, its wait limit or deadline passes, or it is cancelled; when the queue is full it
// is refused at once with RESOURCE_EXHAUSTED, so latency cannot grow without bound.
//
// The queue is strict FIFO: a large request at the head is not overtaken by smaller ones behind
// it, so it cannot starve. Thread-safe (a std::mutex, so that ThreadSanitizer sees it:
// scripts/test-tsan.sh runs this class's tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "ptc/v1/config.pb.h"

namespace ptc {

class AdmissionController {
 public:
  using Clock = std::chrono::steady_clock;
  // OK once admitted (the chains are then counted), or why the wait ended: RESOURCE_EXHAUSTED
  // (waited max_queue_wait_ms), DEADLINE_EXCEEDED (the call's deadline) or CANCELLED.
  using Callback = std::function<void(absl::Status)>;

  struct Ticket {
    bool admitted = false;  // true: admitted now, the callback will not run
    uint64_t id = 0;        // when queued: for Cancel
  };

  // `config` has its defaults applied. The io_context runs the callbacks and the wait timers and
  // must outlive every queued request.
  AdmissionController(const v1::AdmissionConfig& config, boost::asio::io_context& io);
  ~AdmissionController();

  // Admits `chains` now, or queues the request. RESOURCE_EXHAUSTED at once when the request plans
  // more chains than the server ever admits, or the queue is full.
  absl::StatusOr<Ticket> Admit(uint32_t chains, Clock::time_point deadline, Callback on_admit);
  // Ends a queued request's wait with `why` (its callback runs); no-op once it was admitted.
  void Cancel(uint64_t id,
              absl::Status why = absl::CancelledError("cancelled while waiting for admission"));
  // Gives back an admitted request's chains and admits waiting requests that now fit.
  void Release(uint32_t chains);

  uint32_t chains_in_flight() const;
  size_t queued() const;

 private:
  struct Waiter {
    uint64_t id;
    uint32_t chains;
    Callback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  using Queue = std::list<Waiter>;

  // Ends a queued wait with `status` (callback posted to the io_context). Requires mu_.
  void EndWait(Queue::iterator it, absl::Status status);
  void AdmitWaiting();  // requires mu_

  const v1::AdmissionConfig config_;
  boost::asio::io_context& io_;
  mutable std::mutex mu_;  // guards everything below
  uint32_t in_flight_ = 0;
  uint64_t next_id_ = 1;
  Queue queue_;
  absl::flat_hash_map<uint64_t, Queue::iterator> by_id_;
};

}  // namespace ptc
