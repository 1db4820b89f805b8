#include "service/admission/admission_controller.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using Clock = AdmissionController::Clock;

// Runs the io_context on a thread, as the server does; callbacks record into `results`.
class AdmissionControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.set_max_chains_in_flight(10);
    config_.set_max_queued_requests(2);
    config_.set_max_queue_wait_ms(60000);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    thread_.join();
  }

  AdmissionController::Callback Record(int tag) {
    return [this, tag](absl::Status s) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.emplace_back(tag, s);
      cv_.notify_all();
    };
  }
  // Waits (bounded) until `n` callbacks have run.
  std::vector<std::pair<int, absl::Status>> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return results_.size() >= n; });
    return results_;
  }

  v1::AdmissionConfig config_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_;
  std::mutex mu_;  // std::mutex: ThreadSanitizer runs this test (docs/architecture.md)
  std::condition_variable cv_;
  std::vector<std::pair<int, absl::Status>> results_;
};

const Clock::time_point kNoDeadline = Clock::time_point::max();

TEST_F(AdmissionControllerTest, AdmitsWhileThereIsRoomThenQueuesInOrder) {
  AdmissionController a(config_, io_);
  auto t1 = a.Admit(6, kNoDeadline, Record(1));
  ASSERT_TRUE(t1.ok() && t1->admitted);
  auto t2 = a.Admit(4, kNoDeadline, Record(2));
  ASSERT_TRUE(t2.ok() && t2->admitted);
  EXPECT_EQ(a.chains_in_flight(), 10u);
  auto t3 = a.Admit(5, kNoDeadline, Record(3));
  ASSERT_TRUE(t3.ok());
  EXPECT_FALSE(t3->admitted);
  auto t4 = a.Admit(1, kNoDeadline, Record(4));  // would fit after t3, but FIFO: waits
  ASSERT_TRUE(t4.ok());
  EXPECT_FALSE(t4->admitted);
  // The queue holds 2: the next is refused at once, naming the limits.
  auto t5 = a.Admit(1, kNoDeadline, Record(5));
  EXPECT_EQ(t5.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(t5.status().message(), HasSubstr("2 requests already waiting"));

  a.Release(4);  // room for 4: the head needs 5, so nobody moves
  EXPECT_EQ(a.queued(), 2u);
  a.Release(6);  // room for 10: both
  auto r = WaitFor(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].first, 3);
  EXPECT_EQ(r[1].first, 4);
  EXPECT_TRUE(r[0].second.ok());
  EXPECT_TRUE(r[1].second.ok());
  EXPECT_EQ(a.chains_in_flight(), 6u);
  a.Release(6);
  EXPECT_EQ(a.chains_in_flight(), 0u);
}

TEST_F(AdmissionControllerTest, RefusesARequestLargerThanTheServer) {
  AdmissionController a(config_, io_);
  auto t = a.Admit(11, kNoDeadline, Record(1));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(t.status().message(), HasSubstr("plans 11 chains"));
}

TEST_F(AdmissionControllerTest, CancelEndsTheWaitAndLetsOthersIn) {
  AdmissionController a(config_, io_);
  ASSERT_TRUE(a.Admit(8, kNoDeadline, Record(0))->admitted);
  auto big = a.Admit(5, kNoDeadline, Record(1));
  auto small = a.Admit(2, kNoDeadline, Record(2));
  ASSERT_FALSE(big->admitted);
  ASSERT_FALSE(small->admitted);
  a.Cancel(big->id);
  auto r = WaitFor(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].first, 1);
  EXPECT_EQ(r[0].second.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(r[1].first, 2);
  EXPECT_TRUE(r[1].second.ok());
  EXPECT_EQ(a.chains_in_flight(), 10u);
  a.Cancel(big->id);  // no-op
  a.Release(10);
}

TEST_F(AdmissionControllerTest, WaitLimitAndDeadline) {
  config_.set_max_queue_wait_ms(20);
  AdmissionController a(config_, io_);
  ASSERT_TRUE(a.Admit(10, kNoDeadline, Record(0))->admitted);
  ASSERT_FALSE(a.Admit(1, kNoDeadline, Record(1))->admitted);
  auto r = WaitFor(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].second.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r[0].second.message(), HasSubstr("waited 20 ms"));
  config_.set_max_queue_wait_ms(60000);
  AdmissionController b(config_, io_);
  ASSERT_TRUE(b.Admit(10, kNoDeadline, Record(0))->admitted);
  ASSERT_FALSE(b.Admit(1, Clock::now() + std::chrono::milliseconds(20), Record(2))->admitted);
  r = WaitFor(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].second.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(b.queued(), 0u);
  EXPECT_EQ(a.chains_in_flight(), 10u);  // a timed-out wait takes nothing
}

TEST_F(AdmissionControllerTest, ConcurrentAdmitsAndReleasesBalance) {
  config_.set_max_queued_requests(100000);
  AdmissionController a(config_, io_);
  std::atomic<int> admitted_later{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto ticket = a.Admit(3, kNoDeadline, [&](absl::Status s) {
          ASSERT_TRUE(s.ok());
          EXPECT_LE(a.chains_in_flight(), 10u);
          a.Release(3);
          ++admitted_later;
        });
        ASSERT_TRUE(ticket.ok());
        if (ticket->admitted) a.Release(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  // Every queued request is admitted eventually and gives its chains back.
  for (int i = 0; i < 3000 && (a.queued() > 0 || a.chains_in_flight() > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(a.queued(), 0u);
  EXPECT_EQ(a.chains_in_flight(), 0u);
}

}  // namespace
}  // namespace ptc
