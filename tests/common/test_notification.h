// A one-shot event for tests, in place of absl::Notification: built on std::mutex and
// std::condition_variable, which ThreadSanitizer sees (Debian's Abseil is not instrumented, so a
// wait on absl::Notification orders nothing that TSan knows of). Reads of what the notifier wrote
// before Notify are safe after a wait that returned true.
#pragma once

#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"

namespace ptc {

class TestNotification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();  // under the lock: a waiter may destroy this as soon as it returns
  }
  bool HasBeenNotified() const {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }
  bool WaitForNotificationWithTimeout(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return notified_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace ptc
