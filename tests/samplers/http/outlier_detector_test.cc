#include "samplers/http/outlier_detector.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::http {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Clock = OutlierDetector::Clock;

const Clock::time_point kT0{};

OutlierOptions Options() {
  OutlierOptions o;
  o.interval = 10s;
  o.min_requests = 10;
  o.base_ejection = 30s;
  return o;
}

// `n` outcomes on `endpoint`, `failed` of them failures, each with a first byte after `ms`.
void Feed(OutlierDetector& d, size_t endpoint, int n, int failed, double ms = 100) {
  for (int i = 0; i < n; ++i) {
    d.Record(
        endpoint, i >= failed,
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms)));
  }
}

TEST(OutlierDetectorTest, EjectsAnEndpointFailingMoreThanItsPeers) {
  OutlierDetector d(3, Options(), kT0);
  Feed(d, 0, 20, 8);  // 40% failures
  Feed(d, 1, 20, 0);
  Feed(d, 2, 20, 1);
  EXPECT_FALSE(d.Ejected(0, kT0 + 5s));  // judged only when the interval ends
  EXPECT_TRUE(d.Ejected(0, kT0 + 10s));
  EXPECT_THAT(d.reason(0), HasSubstr("failure rate 0.40 vs 0.03"));
  EXPECT_FALSE(d.Ejected(1, kT0 + 10s));
  EXPECT_FALSE(d.Ejected(2, kT0 + 10s));
  EXPECT_TRUE(d.Ejected(0, kT0 + 39s));
  EXPECT_FALSE(d.Ejected(0, kT0 + 40s));  // 30 s later it is back
}

TEST(OutlierDetectorTest, EjectsASlowEndpoint) {
  OutlierDetector d(3, Options(), kT0);
  Feed(d, 0, 20, 0, 200);
  Feed(d, 1, 20, 0, 2500);  // a long queue
  Feed(d, 2, 20, 0, 250);
  EXPECT_TRUE(d.Ejected(1, kT0 + 10s));
  EXPECT_THAT(d.reason(1), HasSubstr("median time to first byte 2500 ms vs 225 ms"));
  EXPECT_FALSE(d.Ejected(0, kT0 + 10s));
}

TEST(OutlierDetectorTest, FastAbsoluteTimesAreNotOutliers) {
  OutlierDetector d(2, Options(), kT0);
  Feed(d, 0, 20, 0, 1);
  Feed(d, 1, 20, 0, 10);  // 10× slower, but only 9 ms
  EXPECT_FALSE(d.Ejected(1, kT0 + 10s));
}

TEST(OutlierDetectorTest, TooFewRequestsOrNoPeersMeansNoJudgement) {
  OutlierDetector d(2, Options(), kT0);
  Feed(d, 0, 9, 9);  // all failed, but fewer than min_requests
  Feed(d, 1, 20, 0);
  EXPECT_FALSE(d.Ejected(0, kT0 + 10s));
  OutlierDetector alone(1, Options(), kT0);
  Feed(alone, 0, 50, 50);
  EXPECT_FALSE(alone.Ejected(0, kT0 + 10s));
}

TEST(OutlierDetectorTest, AtMostTheConfiguredFractionIsOut) {
  OutlierDetector d(4, Options(), kT0);  // at most 2 of 4
  Feed(d, 0, 20, 20);
  Feed(d, 1, 20, 18);
  Feed(d, 2, 20, 16);
  Feed(d, 3, 20, 0);
  const auto t = kT0 + 10s;
  EXPECT_TRUE(d.Ejected(0, t));  // the worst two
  EXPECT_TRUE(d.Ejected(1, t));
  EXPECT_FALSE(d.Ejected(2, t));
  EXPECT_FALSE(d.Ejected(3, t));
  OutlierDetector two(2, Options(), kT0);  // of two endpoints, one stays in whatever happens
  Feed(two, 0, 20, 20);
  Feed(two, 1, 20, 10);
  EXPECT_TRUE(two.Ejected(0, t));
  EXPECT_FALSE(two.Ejected(1, t));
}

TEST(OutlierDetectorTest, RepeatOffendersStayOutLonger) {
  OutlierDetector d(2, Options(), kT0);
  Feed(d, 0, 20, 20);
  Feed(d, 1, 20, 0);
  ASSERT_TRUE(d.Ejected(0, kT0 + 10s));  // out until 40 s
  ASSERT_FALSE(d.Ejected(0, kT0 + 40s));
  Feed(d, 0, 20, 20);
  Feed(d, 1, 20, 0);
  ASSERT_TRUE(d.Ejected(0, kT0 + 50s));  // second time: 60 s
  EXPECT_TRUE(d.Ejected(0, kT0 + 109s));
  EXPECT_FALSE(d.Ejected(0, kT0 + 110s));
}

TEST(OutlierDetectorTest, DisabledNeverEjects) {
  OutlierOptions o = Options();
  o.enabled = false;
  OutlierDetector d(2, o, kT0);
  Feed(d, 0, 20, 20);
  Feed(d, 1, 20, 0);
  EXPECT_FALSE(d.Ejected(0, kT0 + 10s));
}

}  // namespace
}  // namespace ptc::http
