#include "samplers/anthropic/anthropic_decoder.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/samplers/anthropic/anthropic_events.h"

namespace ptc::anthropic {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Piece {
  std::string text;
  std::string reasoning;
  uint32_t tokens;
};

class RecordingSink : public http::DecodeSink {
 public:
  void OnDelta(uint32_t choice, const ChainDelta& delta) override {
    EXPECT_EQ(choice, 0u);
    pieces.push_back({std::string(delta.text), std::string(delta.reasoning), delta.tokens});
  }
  std::string Text() const {
    std::string s;
    for (const Piece& p : pieces) s += p.text;
    return s;
  }
  std::string Reasoning() const {
    std::string s;
    for (const Piece& p : pieces) s += p.reasoning;
    return s;
  }
  std::vector<Piece> pieces;
};

absl::Status FeedAll(AnthropicDecoder& decoder, const std::vector<http::SseEvent>& events,
                     RecordingSink& sink) {
  for (const http::SseEvent& e : events) {
    absl::Status s = decoder.OnEvent(e, sink);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

uint64_t Split(uint64_t output, size_t thinking_bytes, size_t text_bytes) {
  return static_cast<uint64_t>(std::llround(static_cast<double>(output) * thinking_bytes /
                                            static_cast<double>(thinking_bytes + text_bytes)));
}

TEST(AnthropicDecoderTest, ThinkingAndTextStreamAreSeparated) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  ASSERT_TRUE(FeedAll(decoder, testing_events::ThinkingThenText(), sink).ok());
  EXPECT_TRUE(decoder.complete());
  EXPECT_EQ(decoder.message_id(), testing_events::kMessageId);
  EXPECT_EQ(sink.Reasoning(), testing_events::kThinking);
  EXPECT_EQ(sink.Text(), testing_events::kText);
  for (const Piece& p : sink.pieces) {
    EXPECT_TRUE(p.text.empty() != p.reasoning.empty()) << "one kind per delta";
    EXPECT_GE(p.tokens, 1u);
    EXPECT_THAT(p.text + p.reasoning, Not(HasSubstr(testing_events::kSignature)));
  }
  ChainResult r = decoder.TakeResult(0);
  EXPECT_EQ(r.text, testing_events::kText);
  EXPECT_EQ(r.reasoning, testing_events::kThinking);
  EXPECT_THAT(r.text + r.reasoning, Not(HasSubstr(testing_events::kSignature)));
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt, testing_events::kInputTokens + testing_events::kCacheReadTokens +
                                testing_events::kCacheCreationTokens);
  EXPECT_EQ(r.usage.cached_prompt, testing_events::kCacheReadTokens);
  EXPECT_EQ(r.usage.output(), testing_events::kOutputTokens);
  const uint64_t reasoning =
      Split(testing_events::kOutputTokens, std::string(testing_events::kThinking).size(),
            std::string(testing_events::kText).size());
  EXPECT_EQ(r.usage.reasoning, reasoning);
  EXPECT_EQ(r.usage.completion, testing_events::kOutputTokens - reasoning);
  EXPECT_GT(r.usage.reasoning, 0u);
  EXPECT_GT(r.usage.completion, 0u);
}

TEST(AnthropicDecoderTest, AbsurdUsageCountsAreClampedAndStayConsistent) {
  // A broken or hostile upstream: counts near 2^63 must not wrap the sums or the split.
  constexpr uint64_t kHuge = 9223372036854775807ull;
  AnthropicDecoder decoder;
  RecordingSink sink;
  ASSERT_TRUE(FeedAll(decoder,
                      {testing_events::MessageStart(kHuge, kHuge, kHuge),
                       testing_events::BlockStart(0, "thinking"),
                       testing_events::Delta(0, "thinking_delta", "thinking", "x"),
                       testing_events::MessageDelta("end_turn", kHuge)},
                      sink)
                  .ok());
  const ChainResult r = decoder.TakeResult(0);
  EXPECT_EQ(r.usage.prompt, 3 * kMaxReportedTokens);
  EXPECT_LE(r.usage.cached_prompt, r.usage.prompt);
  EXPECT_EQ(r.usage.output(), kMaxReportedTokens);
  EXPECT_LE(r.usage.reasoning, r.usage.output());
}

TEST(AnthropicDecoderTest, MaxTokensIsLength) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  ASSERT_TRUE(FeedAll(decoder, testing_events::TextOnly("partial", "max_tokens", 10), sink).ok());
  ChainResult r = decoder.TakeResult(0);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.usage.completion, 10u);
  EXPECT_EQ(r.usage.reasoning, 0u);
}

TEST(AnthropicDecoderTest, StopReasonsMapToFinishReasons) {
  EXPECT_EQ(FinishReason("end_turn"), "stop");
  EXPECT_EQ(FinishReason("stop_sequence"), "stop");
  EXPECT_EQ(FinishReason("max_tokens"), "length");
  EXPECT_EQ(FinishReason("refusal"), "content_filter");
  EXPECT_EQ(FinishReason("pause_turn"), "pause_turn");
}

TEST(AnthropicDecoderTest, CancelledMidStreamEstimatesOutputFromStreamedBytes) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  auto events = testing_events::ThinkingThenText();
  // Stop after the first text delta: no message_delta has come.
  std::vector<http::SseEvent> prefix;
  for (const auto& e : events) {
    prefix.push_back(e);
    if (e.data.find("text_delta") != std::string::npos) break;
  }
  ASSERT_TRUE(FeedAll(decoder, prefix, sink).ok());
  EXPECT_FALSE(decoder.complete());
  ChainResult r = decoder.TakeResult(0);
  EXPECT_EQ(r.reasoning, testing_events::kThinking);
  EXPECT_FALSE(r.text.empty());
  EXPECT_EQ(r.usage.prompt, testing_events::kInputTokens + testing_events::kCacheReadTokens +
                                testing_events::kCacheCreationTokens);
  const uint64_t bytes = r.text.size() + r.reasoning.size();
  EXPECT_EQ(r.usage.output(), (bytes + 3) / 4);
  EXPECT_EQ(r.usage.reasoning, Split((bytes + 3) / 4, r.reasoning.size(), r.text.size()));
  EXPECT_EQ(r.finish_reason, "");
}

TEST(AnthropicDecoderTest, CancelledBeforeOutputKeepsPromptTokens) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  auto events = testing_events::ThinkingThenText();
  ASSERT_TRUE(decoder.OnEvent(events[0], sink).ok());  // message_start only
  ChainResult r = decoder.TakeResult(0);
  EXPECT_EQ(r.usage.prompt, testing_events::kInputTokens + testing_events::kCacheReadTokens +
                                testing_events::kCacheCreationTokens);
  EXPECT_EQ(r.usage.output(), 1u);  // message_start's own output count
  EXPECT_TRUE(sink.pieces.empty());
}

TEST(AnthropicDecoderTest, OverloadedErrorEventIsRetryable) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  auto events = testing_events::ThinkingThenText();
  ASSERT_TRUE(decoder.OnEvent(events[0], sink).ok());
  absl::Status s =
      decoder.OnEvent(testing_events::ErrorEvent("overloaded_error", "Overloaded"), sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("overloaded_error"));
  EXPECT_THAT(s.message(), HasSubstr("Overloaded"));
  http::UpstreamError e = decoder.ClassifyStreamError(s);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.status, s);
  EXPECT_FALSE(decoder.complete());
}

TEST(AnthropicDecoderTest, ErrorEventTypesDecideRetry) {
  struct Case {
    const char* type;
    absl::StatusCode code;
    bool retryable;
  };
  for (const Case& c : {Case{"api_error", absl::StatusCode::kUnavailable, true},
                        Case{"rate_limit_error", absl::StatusCode::kResourceExhausted, true},
                        Case{"invalid_request_error", absl::StatusCode::kInvalidArgument, false},
                        Case{"authentication_error", absl::StatusCode::kUnauthenticated, false},
                        Case{"permission_error", absl::StatusCode::kPermissionDenied, false},
                        Case{"something_new", absl::StatusCode::kUnknown, false}}) {
    AnthropicDecoder decoder;
    RecordingSink sink;
    absl::Status s = decoder.OnEvent(testing_events::ErrorEvent(c.type, "m"), sink);
    EXPECT_EQ(s.code(), c.code) << c.type;
    EXPECT_EQ(decoder.ClassifyStreamError(s).retryable, c.retryable) << c.type;
  }
}

TEST(AnthropicDecoderTest, ErrorMessageNeverCarriesTheKey) {
  AnthropicDecoder decoder("sk-ant-SECRET");
  RecordingSink sink;
  absl::Status s = decoder.OnEvent(
      testing_events::ErrorEvent("authentication_error", "bad key sk-ant-SECRET given"), sink);
  EXPECT_THAT(s.message(), Not(HasSubstr("sk-ant-SECRET")));
  EXPECT_THAT(s.message(), HasSubstr("[redacted]"));
}

TEST(AnthropicDecoderTest, MalformedJsonFailsAndIsNotRetried) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  absl::Status s =
      decoder.OnEvent({"content_block_delta", "{\"type\":\"content_block_delta\",", ""}, sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("content_block_delta"));
  EXPECT_FALSE(decoder.ClassifyStreamError(s).retryable);

  AnthropicDecoder missing_text;
  s = missing_text.OnEvent(
      {"content_block_delta",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}})", ""},
      sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("text_delta"));
}

TEST(AnthropicDecoderTest, UnknownEventsAndDeltasAreIgnored) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  EXPECT_TRUE(
      decoder.OnEvent({"brand_new_event", R"({"type":"brand_new_event","x":1})", ""}, sink).ok());
  EXPECT_TRUE(decoder
                  .OnEvent({"content_block_delta",
                            R"({"type":"content_block_delta","index":0,)"
                            R"("delta":{"type":"citations_delta","citation":{}}})",
                            ""},
                           sink)
                  .ok());
  EXPECT_TRUE(decoder
                  .OnEvent({"content_block_start",
                            R"({"type":"content_block_start","index":0,)"
                            R"("content_block":{"type":"redacted_thinking","data":"opaque"}})",
                            ""},
                           sink)
                  .ok());
  EXPECT_TRUE(sink.pieces.empty());
}

TEST(AnthropicDecoderTest, UnnamedEventsAreReadByTheirDataType) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  for (http::SseEvent e : testing_events::TextOnly("hello", "end_turn", 2)) {
    e.event.clear();
    ASSERT_TRUE(decoder.OnEvent(e, sink).ok());
  }
  EXPECT_TRUE(decoder.complete());
  EXPECT_EQ(decoder.TakeResult(0).text, "hello");
}

TEST(AnthropicDecoderTest, NonStreamedBody) {
  AnthropicDecoder decoder;
  RecordingSink sink;
  const std::string body = R"({
    "id": "msg_body", "type": "message", "role": "assistant", "model": "claude-x",
    "content": [
      {"type": "thinking", "thinking": "Two plus two.", "signature": "SIG-BODY"},
      {"type": "redacted_thinking", "data": "opaque"},
      {"type": "text", "text": "The answer is (B)."}
    ],
    "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 50, "cache_read_input_tokens": 0,
              "cache_creation_input_tokens": 0, "output_tokens": 40}
  })";
  ASSERT_TRUE(decoder.OnBody(body, sink).ok());
  EXPECT_TRUE(decoder.complete());
  EXPECT_EQ(sink.Reasoning(), "Two plus two.");
  EXPECT_EQ(sink.Text(), "The answer is (B).");
  ChainResult r = decoder.TakeResult(0);
  EXPECT_EQ(r.reasoning, "Two plus two.");
  EXPECT_EQ(r.text, "The answer is (B).");
  EXPECT_THAT(r.reasoning + r.text, Not(HasSubstr("SIG-BODY")));
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt, 50u);
  EXPECT_EQ(r.usage.output(), 40u);
  EXPECT_EQ(r.usage.reasoning, Split(40, 13, 18));
}

TEST(AnthropicDecoderTest, MalformedBodies) {
  RecordingSink sink;
  AnthropicDecoder a;
  EXPECT_EQ(a.OnBody("<html>oops</html>", sink).code(), absl::StatusCode::kInternal);
  AnthropicDecoder b;
  EXPECT_EQ(b.OnBody(R"({"type":"message"})", sink).code(), absl::StatusCode::kInternal);
  AnthropicDecoder c;
  EXPECT_EQ(c.OnBody(R"({"type":"error","error":{"type":"overloaded_error","message":"x"}})", sink)
                .code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ptc::anthropic
