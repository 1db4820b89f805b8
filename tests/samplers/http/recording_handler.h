// A ResponseHandler for tests: records what it receives and lets the test thread wait for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "samplers/http/http_client.h"
#include "tests/common/unshared_status.h"

namespace ptc::http {

class RecordingHandler : public ResponseHandler {
 public:
  void OnHead(const ResponseHead& head) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++heads_;
    head_ = head;
  }
  void OnBody(std::string_view bytes) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      body_.append(bytes);
    }
    cv_.notify_all();
  }
  void OnComplete(absl::Status status) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++completions_;
      status_ = std::move(status);
    }
    cv_.notify_all();
  }

  // The final status; DEADLINE_EXCEEDED "test wait timed out" if none came in time.
  absl::Status Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return status_.has_value(); })) {
      return absl::DeadlineExceededError("test wait timed out");
    }
    return Unshared(*status_);  // shares nothing with the io thread's copies
  }
  bool WaitForBody(size_t bytes, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return body_.size() >= bytes; });
  }
  std::string body() const {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }
  ResponseHead head() const {
    std::lock_guard<std::mutex> lock(mu_);
    return head_;
  }
  int heads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }
  int completions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return completions_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  ResponseHead head_;
  std::string body_;
  std::optional<absl::Status> status_;
  int heads_ = 0;
  int completions_ = 0;
};

}  // namespace ptc::http
