#include "samplers/openai/openai_decoder.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptc::openai {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

struct Recorded {
  uint32_t choice = 0;
  std::string text, reasoning;
  uint32_t tokens = 0;
  std::vector<float> logprobs, top;
  uint32_t top_k = 0;
};

class RecordingSink : public http::DecodeSink {
 public:
  void OnDelta(uint32_t choice, const ChainDelta& d) override {
    Recorded r;
    r.choice = choice;
    r.text = std::string(d.text);
    r.reasoning = std::string(d.reasoning);
    r.tokens = d.tokens;
    r.logprobs.assign(d.logprobs.begin(), d.logprobs.end());
    r.top.assign(d.top_logprobs.begin(), d.top_logprobs.end());
    r.top_k = d.top_k;
    deltas.push_back(std::move(r));
  }
  std::string Text(uint32_t choice) const {
    std::string s;
    for (const Recorded& r : deltas) {
      if (r.choice == choice) s += r.text;
    }
    return s;
  }
  std::string Reasoning(uint32_t choice) const {
    std::string s;
    for (const Recorded& r : deltas) {
      if (r.choice == choice) s += r.reasoning;
    }
    return s;
  }
  std::vector<Recorded> deltas;
};

http::SseEvent Data(const Json& j) { return http::SseEvent{"", j.dump(), ""}; }
http::SseEvent Done() { return http::SseEvent{"", "[DONE]", ""}; }

Json Chunk(uint32_t index, const Json& delta, const char* finish = nullptr) {
  Json choice = {{"index", index}, {"delta", delta}, {"logprobs", nullptr}};
  choice["finish_reason"] = finish == nullptr ? Json(nullptr) : Json(finish);
  return Json{{"id", "chatcmpl-1"},
              {"object", "chat.completion.chunk"},
              {"created", 1},
              {"model", "m"},
              {"choices", Json::array({choice})}};
}

Json UsageChunk(uint64_t prompt, uint64_t completion, Json details = nullptr,
                Json prompt_details = nullptr) {
  Json usage = {{"prompt_tokens", prompt},
                {"completion_tokens", completion},
                {"total_tokens", prompt + completion}};
  if (!details.is_null()) usage["completion_tokens_details"] = details;
  if (!prompt_details.is_null()) usage["prompt_tokens_details"] = prompt_details;
  return Json{{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"}, {"created", 1},
              {"model", "m"},       {"choices", Json::array()},          {"usage", usage}};
}

DecoderOptions Opts(uint32_t n = 1, uint32_t top = 0) {
  DecoderOptions o;
  o.n = n;
  o.top_logprobs = top;
  o.prompt_estimate = 7;
  return o;
}

TEST(OpenAiDecoderTest, StreamWithUsageAndReasoningTokensSubtracted) {
  OpenAiDecoder d(Opts());
  RecordingSink sink;
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"role", "assistant"}, {"content", ""}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "The answer"}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", " is B."}}, "stop")), sink).ok());
  EXPECT_FALSE(d.complete());
  ASSERT_TRUE(
      d.OnEvent(Data(UsageChunk(20, 130, {{"reasoning_tokens", 120}}, {{"cached_tokens", 16}})),
                sink)
          .ok());
  ASSERT_TRUE(d.OnEvent(Done(), sink).ok());
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(sink.Text(0), "The answer is B.");
  ASSERT_EQ(sink.deltas.size(), 2u);  // the empty role chunk makes no delta
  EXPECT_EQ(sink.deltas[0].tokens, 1u);
  const ChainResult r = d.TakeResult(0);
  EXPECT_EQ(r.text, "The answer is B.");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt, 20u);
  EXPECT_EQ(r.usage.cached_prompt, 16u);
  EXPECT_EQ(r.usage.reasoning, 120u);
  EXPECT_EQ(r.usage.completion, 10u);
  EXPECT_EQ(r.usage.total(), 150u);
  EXPECT_FALSE(r.mean_token_confidence.has_value());
}

TEST(OpenAiDecoderTest, ThinkTagSplitAcrossChunks) {
  OpenAiDecoder d(Opts());
  RecordingSink sink;
  for (const char* piece : {"<thi", "nk>Let me ", "think.</th", "ink>\n\nB", "</think>"}) {
    ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", piece}})), sink).ok());
  }
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, Json::object(), "stop")), sink).ok());
  ASSERT_TRUE(d.OnEvent(Done(), sink).ok());
  EXPECT_EQ(sink.Reasoning(0), "Let me think.");
  EXPECT_EQ(sink.Text(0), "\n\nB</think>");
  const ChainResult r = d.TakeResult(0);
  EXPECT_EQ(r.reasoning, "Let me think.");
  EXPECT_EQ(r.text, "\n\nB</think>");
  // No usage reported: the estimated prompt, and the 5 chunks seen as tokens, the two that
  // produced reasoning counted as reasoning.
  EXPECT_EQ(r.usage.prompt, 7u);
  EXPECT_EQ(r.usage.output(), 5u);
  EXPECT_EQ(r.usage.reasoning, 2u);
}

TEST(OpenAiDecoderTest, OutputThatStartsInsideTheReasoning) {
  DecoderOptions o = Opts();
  o.think_open_at_start = true;
  OpenAiDecoder d(o);
  RecordingSink sink;
  for (const char* piece : {"Compare the ", "options.\n</th", "ink>\n\nAnswer: D"}) {
    ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", piece}})), sink).ok());
  }
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, Json::object(), "stop")), sink).ok());
  ASSERT_TRUE(d.OnEvent(Done(), sink).ok());
  const ChainResult r = d.TakeResult(0);
  EXPECT_EQ(r.reasoning, "Compare the options.\n");
  EXPECT_EQ(r.text, "\n\nAnswer: D");
}

TEST(OpenAiDecoderTest, SplittingCanBeTurnedOff) {
  DecoderOptions o = Opts();
  o.split_think_tags = false;
  OpenAiDecoder d(o);
  RecordingSink sink;
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "<think>x</think>y"}}, "stop")), sink).ok());
  EXPECT_EQ(d.TakeResult(0).text, "<think>x</think>y");
}

TEST(OpenAiDecoderTest, ReasoningContentFieldWithoutBreakdownSharesCompletionTokens) {
  OpenAiDecoder d(Opts());
  RecordingSink sink;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"reasoning_content", "hmm "}})), sink).ok());
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "C"}})), sink).ok());
  }
  ASSERT_TRUE(d.OnEvent(Data(UsageChunk(5, 80)), sink).ok());  // vLLM: no breakdown
  const ChainResult r = d.TakeResult(0);
  EXPECT_EQ(r.reasoning, "hmm hmm hmm hmm hmm hmm ");
  EXPECT_EQ(r.text, "CC");
  EXPECT_EQ(r.usage.reasoning, 60u);  // 80 * 6/8
  EXPECT_EQ(r.usage.completion, 20u);
}

TEST(OpenAiDecoderTest, LogprobsFlattenedPerTokenAndConfidence) {
  OpenAiDecoder d(Opts(1, 2));
  RecordingSink sink;
  Json chunk = Chunk(0, {{"content", "A B"}});
  chunk["choices"][0]["logprobs"] = {
      {"content",
       {{{"token", "A"},
         {"logprob", -0.5},
         {"bytes", {65}},
         {"top_logprobs",
          {{{"token", "A"}, {"logprob", -0.5}, {"bytes", {65}}},
           {{"token", "C"}, {"logprob", -1.5}, {"bytes", {67}}}}}},
        {{"token", " B"},
         {"logprob", -1.0},
         {"bytes", nullptr},
         {"top_logprobs",
          {{{"token", " B"}, {"logprob", -1.0}, {"bytes", nullptr}},
           {{"token", " D"}, {"logprob", -3.0}, {"bytes", nullptr}},
           {{"token", " E"}, {"logprob", -4.0}, {"bytes", nullptr}}}}}}}};
  ASSERT_TRUE(d.OnEvent(Data(chunk), sink).ok());
  ASSERT_EQ(sink.deltas.size(), 1u);
  const Recorded& r = sink.deltas[0];
  EXPECT_EQ(r.tokens, 2u);
  EXPECT_EQ(r.logprobs, (std::vector<float>{-0.5f, -1.0f}));
  EXPECT_EQ(r.top_k, 2u);
  EXPECT_EQ(r.top, (std::vector<float>{-0.5f, -1.5f, -1.0f, -3.0f}));
  // Confidence per token = -mean(top-2): 1.0 and 2.0; mean 1.5.
  const ChainResult result = d.TakeResult(0);
  ASSERT_TRUE(result.mean_token_confidence.has_value());
  EXPECT_DOUBLE_EQ(*result.mean_token_confidence, 1.5);
  EXPECT_EQ(result.usage.completion, 2u);
}

TEST(OpenAiDecoderTest, NChoicesDemultiplexedAndUsageSharedToTheReportedTotal) {
  OpenAiDecoder d(Opts(3));
  RecordingSink sink;
  ASSERT_TRUE(d.OnEvent(Data(Chunk(2, {{"content", "c"}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "a"}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "a"}}, "stop")), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(1, {{"content", "b"}}, "length")), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(2, {{"content", "c"}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(2, {{"content", "c"}}, "stop")), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(UsageChunk(11, 61)), sink).ok());
  ASSERT_TRUE(d.OnEvent(Done(), sink).ok());
  EXPECT_EQ(sink.Text(0), "aa");
  EXPECT_EQ(sink.Text(1), "b");
  EXPECT_EQ(sink.Text(2), "ccc");
  ChainResult r0 = d.TakeResult(0), r1 = d.TakeResult(1), r2 = d.TakeResult(2);
  EXPECT_EQ(r1.finish_reason, "length");
  EXPECT_EQ(r0.usage.prompt, 11u);
  EXPECT_EQ(r1.usage.prompt + r2.usage.prompt, 0u);
  EXPECT_EQ(r0.usage.completion + r1.usage.completion + r2.usage.completion, 61u);
  EXPECT_LT(r1.usage.completion, r0.usage.completion);
  EXPECT_LT(r0.usage.completion, r2.usage.completion);
}

TEST(OpenAiDecoderTest, AbsurdUsageCountsAreClamped) {
  // 2^64 - 1 completion tokens shared between two choices: clamped, no overflow in the shares.
  OpenAiDecoder d(Opts(2));
  RecordingSink sink;
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "a"}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(UsageChunk(1, 18446744073709551615ull)), sink).ok());
  ASSERT_TRUE(d.OnEvent(Done(), sink).ok());
  const ChainResult r0 = d.TakeResult(0), r1 = d.TakeResult(1);
  EXPECT_EQ(r0.usage.output() + r1.usage.output(), kMaxReportedTokens);
}

TEST(OpenAiDecoderTest, ContentAfterTheFinishIsNotHeldBack) {
  // A server that sends content after the choice's finish_reason, ending in what could be the
  // start of a tag: it must reach the result, not stay in the splitter.
  OpenAiDecoder d(Opts());
  RecordingSink sink;
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "Answer: B"}}, "stop")), sink).ok());
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", " <thi"}})), sink).ok());
  ASSERT_TRUE(d.OnEvent(Done(), sink).ok());
  EXPECT_EQ(d.TakeResult(0).text, "Answer: B <thi");
  EXPECT_EQ(sink.Text(0), "Answer: B <thi");
}

TEST(OpenAiDecoderTest, CancelledBeforeUsageEstimates) {
  OpenAiDecoder d(Opts(1, 1));
  RecordingSink sink;
  Json chunk = Chunk(0, {{"content", "x y z"}});
  Json entry = {{"token", "x"}, {"logprob", -0.1}, {"top_logprobs", {{{"logprob", -0.1}}}}};
  chunk["choices"][0]["logprobs"] = {{"content", {entry, entry, entry}}};
  ASSERT_TRUE(d.OnEvent(Data(chunk), sink).ok());
  const ChainResult r = d.TakeResult(0);
  EXPECT_EQ(r.usage.prompt, 7u);
  EXPECT_EQ(r.usage.completion, 3u);
  EXPECT_EQ(r.text, "x y z");
  EXPECT_EQ(r.finish_reason, "");
}

TEST(OpenAiDecoderTest, MalformedChunksAreErrorsNotCrashes) {
  const std::vector<std::string> bad = {
      R"({"choices": [{"index": 0, "delta": {"content": "tru)",
      R"([1, 2])",
      R"({"choices": {"index": 0}})",
      R"({"choices": [{"index": 5, "delta": {"content": "x"}}]})",
      R"({"choices": [{"index": -1, "delta": {"content": "x"}}]})",
      R"({"choices": [{"index": "0", "delta": {"content": "x"}}]})",
      R"({"choices": [{"index": 0, "delta": {"content": 7}}]})",
      R"({"choices": [{"index": 0, "delta": {}, "finish_reason": 3}]})",
      R"({"choices": [{"index": 0, "delta": {}, "logprobs": {"content": [{"logprob": "x"}]}}]})",
      R"({"choices": [{"index": 0, "delta": {}, "logprobs": {"content": 1}}]})",
      R"({"choices": [], "usage": 5})",
      "",
  };
  for (const std::string& data : bad) {
    OpenAiDecoder d(Opts());
    RecordingSink sink;
    const absl::Status s = d.OnEvent(http::SseEvent{"", data, ""}, sink);
    EXPECT_FALSE(s.ok()) << data;
    EXPECT_THAT(s.message(), Not(HasSubstr("tru"))) << data;
    EXPECT_FALSE(d.ClassifyStreamError(s).retryable);
    (void)d.TakeResult(0);
  }
}

TEST(OpenAiDecoderTest, ErrorChunkMidStreamIsClassified) {
  OpenAiDecoder d(Opts());
  RecordingSink sink;
  ASSERT_TRUE(d.OnEvent(Data(Chunk(0, {{"content", "x"}})), sink).ok());
  const absl::Status s = d.OnEvent(
      Data(Json{{"error", {{"message", "The server is overloaded"}, {"type", "server_error"}}}}),
      sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("overloaded"));
  EXPECT_TRUE(d.ClassifyStreamError(s).retryable);

  OpenAiDecoder d2(Opts());
  const absl::Status s2 = d2.OnEvent(
      Data(Json{{"error", {{"object", "error"}, {"message", "bad"}, {"code", 400}}}}), sink);
  EXPECT_EQ(s2.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(d2.ClassifyStreamError(s2).retryable);
}

TEST(OpenAiDecoderTest, WholeBody) {
  OpenAiDecoder d(Opts(2));
  RecordingSink sink;
  const Json body = {
      {"id", "chatcmpl-1"},
      {"object", "chat.completion"},
      {"created", 1},
      {"model", "m"},
      {"choices",
       {{{"index", 0},
         {"message", {{"role", "assistant"}, {"content", "<think>r</think>A"}}},
         {"finish_reason", "stop"}},
        {{"index", 1},
         {"message", {{"role", "assistant"}, {"content", "B"}, {"reasoning_content", "q"}}},
         {"finish_reason", "length"}}}},
      {"usage",
       {{"prompt_tokens", 9},
        {"completion_tokens", 40},
        {"completion_tokens_details", {{"reasoning_tokens", 30}}}}}};
  ASSERT_TRUE(d.OnBody(body.dump(), sink).ok());
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(sink.Text(0), "A");
  EXPECT_EQ(sink.Reasoning(0), "r");
  EXPECT_EQ(sink.Reasoning(1), "q");
  ChainResult r0 = d.TakeResult(0), r1 = d.TakeResult(1);
  EXPECT_EQ(r0.text, "A");
  EXPECT_EQ(r1.finish_reason, "length");
  EXPECT_EQ(r0.usage.prompt, 9u);
  EXPECT_EQ(r0.usage.reasoning + r1.usage.reasoning, 30u);
  EXPECT_EQ(r0.usage.completion + r1.usage.completion, 10u);
}

TEST(OpenAiDecoderTest, BadBodies) {
  for (const std::string& body :
       {std::string("<html>502 Bad Gateway</html>"), std::string(R"({"choices": [)"),
        std::string(R"({"id": "x"})"),
        std::string(R"({"choices": [{"index": 0, "message": {"content": "a"}}]})")}) {
    OpenAiDecoder d(Opts(2));
    RecordingSink sink;
    const absl::Status s = d.OnBody(body, sink);
    EXPECT_FALSE(s.ok()) << body;
    EXPECT_THAT(s.message(), Not(HasSubstr("html"))) << body;
    EXPECT_FALSE(d.complete());
  }
}

}  // namespace
}  // namespace ptc::openai
