// Fuzzes the Anthropic Messages decoder (samplers/anthropic/anthropic_decoder.h).
//
// Input: one mode byte, then the payload: 'A' (any odd byte) a whole JSON body, '@' (any even
// byte) an SSE event stream (event: message_start / content_block_delta / ... with JSON data),
// parsed by the project's SseParser and decoded event by event until the first error, as
// HttpBackend does.
//
// Invariants checked:
//  - decoding never throws or aborts; a failure is a status, and a malformed one (INTERNAL) is
//    never classified as retryable;
//  - a body decoded without error completes the decoder;
//  - every delta is for choice 0, carries text or reasoning (not both) and at least one token
//    (recording_sink.h checks the rest of ChainDelta's shape);
//  - TakeResult(0) returns exactly the text and reasoning streamed; other choices are empty;
//  - usage: cached prompt tokens are part of the prompt tokens, and when anything was streamed
//    the reasoning share is at most the output.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "samplers/anthropic/anthropic_decoder.h"
#include "samplers/http/sse_parser.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/recording_sink.h"

namespace ptc::fuzz {
namespace {

// Checks ChainDelta's Anthropic-specific shape, then records it.
class AnthropicSink : public RecordingSink {
 public:
  AnthropicSink() : RecordingSink(1) {}
  void OnDelta(uint32_t choice, const ChainDelta& d) override {
    PTC_FUZZ_CHECK(choice == 0);
    PTC_FUZZ_CHECK(d.text.empty() != d.reasoning.empty());
    PTC_FUZZ_CHECK(d.tokens >= 1);
    RecordingSink::OnDelta(choice, d);
  }
};

void CheckFailure(const anthropic::AnthropicDecoder& decoder, const absl::Status& status) {
  PTC_FUZZ_CHECK(!status.ok());
  const http::UpstreamError e = decoder.ClassifyStreamError(status);
  PTC_FUZZ_CHECK(e.status == status);
  if (status.code() == absl::StatusCode::kInternal) PTC_FUZZ_CHECK(!e.retryable);
}

void CheckResult(anthropic::AnthropicDecoder& decoder, const AnthropicSink& sink) {
  const ChainResult r = decoder.TakeResult(0);
  PTC_FUZZ_CHECK(r.text == sink.text(0));
  PTC_FUZZ_CHECK(r.reasoning == sink.reasoning(0));
  PTC_FUZZ_CHECK(r.usage.cached_prompt <= r.usage.prompt);
  PTC_FUZZ_CHECK(r.usage.reasoning <= r.usage.output());
  const ChainResult other = decoder.TakeResult(1);
  PTC_FUZZ_CHECK(other.text.empty() && other.reasoning.empty());
}

}  // namespace
}  // namespace ptc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ptc::fuzz::CheckFailure;
  if (size == 0) return 0;
  const bool body = (data[0] & 1) != 0;
  const std::string_view payload = ptc::fuzz::AsText(data + 1, size - 1);
  ptc::anthropic::AnthropicDecoder decoder("sk-ant-fuzz-key");
  ptc::fuzz::AnthropicSink sink;
  if (body) {
    const absl::Status s = decoder.OnBody(payload, sink);
    if (s.ok()) {
      PTC_FUZZ_CHECK(decoder.complete());
    } else {
      CheckFailure(decoder, s);
    }
  } else {
    ptc::http::SseParser parser;
    absl::Status failed;
    const absl::Status parsed = parser.Feed(payload, [&](const ptc::http::SseEvent& event) {
      if (!failed.ok()) return;
      failed = decoder.OnEvent(event, sink);
      if (!failed.ok()) CheckFailure(decoder, failed);
    });
    PTC_FUZZ_CHECK(parsed.ok());  // the input is far below the parser's event limit
  }
  ptc::fuzz::CheckResult(decoder, sink);
  return 0;
}
