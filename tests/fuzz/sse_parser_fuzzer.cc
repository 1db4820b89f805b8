// Fuzzes the incremental SSE parser (samplers/http/sse_parser.h). The input is a byte stream
// with 0xFF marking where one read ends and the next begins (fuzz_check.h), so the fuzzer picks
// the split points: between CR and LF, inside a BOM, a field name or a multi-line event.
//
// Invariants checked, for the default event limit and for a small one (so that the
// RESOURCE_EXHAUSTED path is reached):
//  - events split anywhere across reads parse as in one read: the same events, the same
//    status, the same has_partial();
//  - a failed parser stays failed;
//  - no event's data and type are together longer than the limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "samplers/http/sse_parser.h"
#include "tests/fuzz/fuzz_check.h"

namespace ptc::fuzz {
namespace {

struct Parsed {
  std::vector<http::SseEvent> events;
  absl::Status status;
  bool partial = false;
};

// Feeds `reads` in order, stopping at the first error as a client does.
Parsed Parse(const std::vector<std::string_view>& reads, size_t max_event_bytes) {
  http::SseParser parser(max_event_bytes);
  Parsed out;
  for (std::string_view read : reads) {
    out.status = parser.Feed(read, [&](const http::SseEvent& e) {
      PTC_FUZZ_CHECK(e.data.size() + e.event.size() <= max_event_bytes);
      out.events.push_back(e);
    });
    if (!out.status.ok()) break;
  }
  if (!out.status.ok()) {
    PTC_FUZZ_CHECK(out.status.code() == absl::StatusCode::kResourceExhausted);
    bool event_after_failure = false;
    const absl::Status again =
        parser.Feed("data: x\n\n", [&](const http::SseEvent&) { event_after_failure = true; });
    PTC_FUZZ_CHECK(again.code() == absl::StatusCode::kResourceExhausted);
    PTC_FUZZ_CHECK(!event_after_failure);
  }
  out.partial = parser.has_partial();
  return out;
}

void CheckSplitInvariance(const std::vector<std::string_view>& reads, size_t max_event_bytes) {
  const std::string whole = Joined(reads);
  const Parsed one = Parse({whole}, max_event_bytes);
  const Parsed split = Parse(reads, max_event_bytes);
  PTC_FUZZ_CHECK(one.events == split.events);
  PTC_FUZZ_CHECK(one.status.code() == split.status.code());
  if (one.status.ok()) PTC_FUZZ_CHECK(one.partial == split.partial);
}

}  // namespace
}  // namespace ptc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string_view> reads = ptc::fuzz::SplitReads(ptc::fuzz::AsText(data, size));
  ptc::fuzz::CheckSplitInvariance(reads, size_t{4} << 20);  // SseParser's default
  ptc::fuzz::CheckSplitInvariance(reads, 64);
  return 0;
}
