#include "service/admission/admission_controller.h"

#include "absl/strings/str_format.h"
#include "boost/asio/post.hpp"

namespace ptc {

AdmissionController::AdmissionController(const v1::AdmissionConfig& config,
                                         boost::asio::io_context& io)
    : config_(config), io_(io) {}

AdmissionController::~AdmissionController() {
  std::lock_guard<std::mutex> lock(mu_);
  // Normally empty: every queued call was cancelled when the server shut down.
  while (!queue_.empty()) EndWait(queue_.begin(), absl::CancelledError("server shutting down"));
}

absl::StatusOr<AdmissionController::Ticket> AdmissionController::Admit(uint32_t chains,
                                                                       Clock::time_point deadline,
                                                                       Callback on_admit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (chains > config_.max_chains_in_flight()) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the request plans %d chains; the server admits at most %d chains in flight "
        "(admission.max_chains_in_flight)",
        chains, config_.max_chains_in_flight()));
  }
  if (queue_.empty() && in_flight_ + chains <= config_.max_chains_in_flight()) {
    in_flight_ += chains;
    return Ticket{.admitted = true};
  }
  if (queue_.size() >= config_.max_queued_requests()) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "server busy: %d chains in flight (limit %d) and %d requests already waiting (limit "
        "%d); retry later",
        in_flight_, config_.max_chains_in_flight(), queue_.size(), config_.max_queued_requests()));
  }
  const uint64_t id = next_id_++;
  const Clock::time_point wait_end =
      Clock::now() + std::chrono::milliseconds(config_.max_queue_wait_ms());
  const bool deadline_first = deadline < wait_end;
  auto timer =
      std::make_unique<boost::asio::steady_timer>(io_, deadline_first ? deadline : wait_end);
  timer->async_wait([this, id, deadline_first,
                     wait_ms = config_.max_queue_wait_ms()](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the wait ended another way
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    EndWait(it->second,
            deadline_first
                ? absl::DeadlineExceededError("deadline passed while waiting for admission")
                : absl::ResourceExhaustedError(absl::StrFormat(
                      "server busy: waited %d ms (admission.max_queue_wait_ms) without room for "
                      "the request's chains; retry later",
                      wait_ms)));
  });
  queue_.push_back(Waiter{id, chains, std::move(on_admit), std::move(timer)});
  by_id_[id] = std::prev(queue_.end());
  return Ticket{.admitted = false, .id = id};
}

void AdmissionController::EndWait(Queue::iterator it, absl::Status status) {
  by_id_.erase(it->id);
  it->timer->cancel();
  boost::asio::post(io_,
                    [cb = std::move(it->callback), status = std::move(status)] { cb(status); });
  queue_.erase(it);
}

void AdmissionController::Cancel(uint64_t id, absl::Status why) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  EndWait(it->second, std::move(why));
  // The cancelled request may have been the head that blocked smaller ones behind it.
  AdmitWaiting();
}

void AdmissionController::Release(uint32_t chains) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_ -= std::min(chains, in_flight_);
  AdmitWaiting();
}

void AdmissionController::AdmitWaiting() {
  while (!queue_.empty() && in_flight_ + queue_.front().chains <= config_.max_chains_in_flight()) {
    in_flight_ += queue_.front().chains;
    EndWait(queue_.begin(), absl::OkStatus());
  }
}

uint32_t AdmissionController::chains_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

size_t AdmissionController::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace ptc
