// Fuzzes the OpenAI-compatible response decoder (samplers/openai/openai_decoder.h) on both paths
// (a text/event-stream of chat.completion.chunk events, and a whole chat.completion body) and the
// inline <think> splitter (samplers/openai/think_splitter.h).
//
// Input: one option byte, then the payload. The option byte, XOR 0x40 (so '@' is all zero):
//   bits 0-1  what the payload is: 0 or 3 an SSE stream, 1 a whole body, 2 text for the
//             ThinkSplitter alone, with 0xFF marking the split points (fuzz_check.h)
//   bits 2-3  n - 1 (choices per request)
//   bit 4     split_think_tags off
//   bits 5-6  top_logprobs asked for
// So '@' is a stream for n = 1, 'A' a body, 'B' splitter text, 'D' a stream for n = 2, 'E' a body
// for n = 2, 'P' a stream without think splitting, '`' a stream with top_logprobs 1.
//
// Invariants checked:
//  - decoding never throws or aborts; a failure is a status that ClassifyStreamError returns
//    as is; a body decoded without error completes the decoder;
//  - every delta names a choice in [0, n) and carries logprobs of the promised shape
//    (recording_sink.h);
//  - TakeResult's text and reasoning are what was streamed, plus at most the bytes of a
//    possible tag the splitter still held (under 8), and exactly what was streamed once the
//    decoder is complete;
//  - cached prompt tokens are part of the prompt tokens;
//  - streams: the chunk scanner (the fast path, on by default) and the DOM path give byte-for-byte
//    the same statuses, deltas and results (tests/samplers/openai/decoder_diff.h);
//  - ThinkSplitter: pieces split anywhere give the same text and reasoning as one piece; text
//    without "<think>" passes through untouched; tags are only ever removed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "samplers/http/sse_parser.h"
#include "samplers/openai/openai_decoder.h"
#include "samplers/openai/think_splitter.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/recording_sink.h"
#include "tests/samplers/openai/decoder_diff.h"

namespace ptc::fuzz {
namespace {

enum class Mode { kStream, kBody, kSplitter };

struct Options {
  Mode mode = Mode::kStream;
  openai::DecoderOptions decoder;
};

Options ReadOptions(uint8_t byte) {
  const uint8_t bits = byte ^ 0x40;
  Options o;
  switch (bits & 3) {
    case 1:
      o.mode = Mode::kBody;
      break;
    case 2:
      o.mode = Mode::kSplitter;
      break;
    default:
      o.mode = Mode::kStream;
  }
  o.decoder.n = 1 + ((bits >> 2) & 3);
  o.decoder.split_think_tags = ((bits >> 4) & 1) == 0;
  o.decoder.top_logprobs = (bits >> 5) & 3;
  o.decoder.prompt_estimate = 7;
  o.decoder.api_key = "sk-fuzz-key";
  return o;
}

// `got` is `streamed` plus at most `extra` more bytes at the end; returns how many.
size_t Tail(const std::string& got, const std::string& streamed) {
  PTC_FUZZ_CHECK(got.size() >= streamed.size());
  PTC_FUZZ_CHECK(std::string_view(got).substr(0, streamed.size()) == streamed);
  return got.size() - streamed.size();
}

void CheckResults(openai::OpenAiDecoder& decoder, const RecordingSink& sink, uint32_t n) {
  const bool complete = decoder.complete();
  for (uint32_t i = 0; i < n; ++i) {
    const ChainResult r = decoder.TakeResult(i);
    // What the splitter may hold back: a proper prefix of "</think>".
    const size_t held = Tail(r.text, sink.text(i)) + Tail(r.reasoning, sink.reasoning(i));
    PTC_FUZZ_CHECK(held < 8);
    if (complete) PTC_FUZZ_CHECK(held == 0);
    PTC_FUZZ_CHECK(r.usage.cached_prompt <= r.usage.prompt);
  }
}

void CheckFailure(const openai::OpenAiDecoder& decoder, const absl::Status& status) {
  PTC_FUZZ_CHECK(!status.ok());
  PTC_FUZZ_CHECK(decoder.ClassifyStreamError(status).status == status);
}

void DecodeStream(const Options& o, std::string_view payload) {
  openai::OpenAiDecoder decoder(o.decoder);
  RecordingSink sink(o.decoder.n);
  http::SseParser parser;
  absl::Status failed;
  // As HttpBackend does: events in order until the first error.
  const absl::Status parsed = parser.Feed(payload, [&](const http::SseEvent& event) {
    if (!failed.ok()) return;
    failed = decoder.OnEvent(event, sink);
    if (!failed.ok()) CheckFailure(decoder, failed);
  });
  PTC_FUZZ_CHECK(parsed.ok());  // the input is far below the parser's event limit
  CheckResults(decoder, sink, o.decoder.n);
  const std::string difference = openai::diff::Difference(o.decoder, openai::diff::Events(payload));
  if (!difference.empty()) std::fprintf(stderr, "%s", difference.c_str());
  PTC_FUZZ_CHECK(difference.empty());
}

void DecodeBody(const Options& o, std::string_view payload) {
  openai::OpenAiDecoder decoder(o.decoder);
  RecordingSink sink(o.decoder.n);
  const absl::Status s = decoder.OnBody(payload, sink);
  if (s.ok()) {
    PTC_FUZZ_CHECK(decoder.complete());
  } else {
    CheckFailure(decoder, s);
  }
  CheckResults(decoder, sink, o.decoder.n);
}

openai::ThinkSplitter::Output SplitAll(const std::vector<std::string_view>& pieces, bool* inside) {
  openai::ThinkSplitter splitter;
  openai::ThinkSplitter::Output all;
  for (std::string_view piece : pieces) {
    openai::ThinkSplitter::Output out = splitter.Feed(piece);
    all.text += out.text;
    all.reasoning += out.reasoning;
  }
  *inside = splitter.in_reasoning();
  openai::ThinkSplitter::Output rest = splitter.Flush();
  all.text += rest.text;
  all.reasoning += rest.reasoning;
  return all;
}

void CheckSplitter(std::string_view payload) {
  const std::vector<std::string_view> pieces = SplitReads(payload);
  const std::string whole = Joined(pieces);
  bool inside_whole = false;
  bool inside_split = false;
  const openai::ThinkSplitter::Output one = SplitAll({whole}, &inside_whole);
  const openai::ThinkSplitter::Output split = SplitAll(pieces, &inside_split);
  PTC_FUZZ_CHECK(one.text == split.text);
  PTC_FUZZ_CHECK(one.reasoning == split.reasoning);
  PTC_FUZZ_CHECK(inside_whole == inside_split);
  PTC_FUZZ_CHECK(one.text.size() + one.reasoning.size() <= whole.size());
  if (whole.find("<think>") == std::string::npos) {
    PTC_FUZZ_CHECK(one.text == whole);
    PTC_FUZZ_CHECK(one.reasoning.empty());
  }
}

}  // namespace
}  // namespace ptc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ptc::fuzz::Options options = ptc::fuzz::ReadOptions(data[0]);
  const std::string_view payload = ptc::fuzz::AsText(data + 1, size - 1);
  switch (options.mode) {
    case ptc::fuzz::Mode::kStream:
      ptc::fuzz::DecodeStream(options, payload);
      break;
    case ptc::fuzz::Mode::kBody:
      ptc::fuzz::DecodeBody(options, payload);
      break;
    case ptc::fuzz::Mode::kSplitter:
      ptc::fuzz::CheckSplitter(payload);
      break;
  }
  return 0;
}
