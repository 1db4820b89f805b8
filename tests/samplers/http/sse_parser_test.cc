#include "samplers/http/sse_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::http {
namespace {

using ::testing::ElementsAre;
using ::testing::FieldsAre;
using ::testing::IsEmpty;

std::vector<SseEvent> FeedAll(SseParser& parser, const std::vector<std::string_view>& pieces) {
  std::vector<SseEvent> events;
  for (std::string_view piece : pieces) {
    absl::Status s = parser.Feed(piece, [&](const SseEvent& e) { events.push_back(e); });
    EXPECT_TRUE(s.ok()) << s;
  }
  return events;
}

std::vector<SseEvent> Parse(std::string_view stream) {
  SseParser parser;
  return FeedAll(parser, {stream});
}

TEST(SseParserTest, SingleEvent) {
  EXPECT_THAT(Parse("data: hello\n\n"), ElementsAre(FieldsAre("", "hello", "")));
}

TEST(SseParserTest, SplitAtEveryBytePosition) {
  const std::string stream =
      "event: message_start\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\n: ping\n\ndata: x\rdata: y\r\r"
      "data: [DONE]\n\n";
  const std::vector<SseEvent> whole = Parse(stream);
  ASSERT_THAT(whole, ElementsAre(FieldsAre("message_start", "{\"a\":1}", "7"),
                                 FieldsAre("", "x\ny", "7"), FieldsAre("", "[DONE]", "7")));
  for (size_t i = 0; i <= stream.size(); ++i) {
    for (size_t j = i; j <= stream.size(); ++j) {
      SseParser parser;
      const std::string_view s = stream;
      EXPECT_EQ(FeedAll(parser, {s.substr(0, i), s.substr(i, j - i), s.substr(j)}), whole)
          << "split at " << i << ", " << j;
      EXPECT_FALSE(parser.has_partial());
    }
  }
}

TEST(SseParserTest, OneByteAtATime) {
  const std::string stream = "data: a\r\n\r\ndata: b\n\n";
  SseParser parser;
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(std::string_view(stream).substr(i, 1));
  EXPECT_THAT(FeedAll(parser, bytes), ElementsAre(FieldsAre("", "a", ""), FieldsAre("", "b", "")));
}

TEST(SseParserTest, LineEndings) {
  EXPECT_THAT(Parse("data: a\n\n"), ElementsAre(FieldsAre("", "a", "")));
  EXPECT_THAT(Parse("data: a\r\n\r\n"), ElementsAre(FieldsAre("", "a", "")));
  EXPECT_THAT(Parse("data: a\r\r"), ElementsAre(FieldsAre("", "a", "")));
  // A CR then a LF in the next read is one line end, not two.
  SseParser parser;
  EXPECT_THAT(FeedAll(parser, {"data: a\r", "\ndata: b\r", "\n\r\n"}),
              ElementsAre(FieldsAre("", "a\nb", "")));
}

TEST(SseParserTest, LfThenCrAreTwoLineEnds) {
  EXPECT_THAT(Parse("data: a\n\rdata: b\r\n\n"),
              ElementsAre(FieldsAre("", "a", ""), FieldsAre("", "b", "")));
  // A line held over several reads, ended by a CR whose LF comes in a later read.
  SseParser parser;
  EXPECT_THAT(FeedAll(parser, {"da", "ta: ", "x", "yz\r", "", "\n", "\r\n"}),
              ElementsAre(FieldsAre("", "xyz", "")));
}

TEST(SseParserTest, MultiLineDataJoinedWithNewline) {
  EXPECT_THAT(Parse("data: one\ndata: two\ndata:\ndata: three\n\n"),
              ElementsAre(FieldsAre("", "one\ntwo\n\nthree", "")));
}

TEST(SseParserTest, CommentsIgnored) {
  EXPECT_THAT(Parse(": keep-alive\n\n:another\ndata: x\n: mid\n\n"),
              ElementsAre(FieldsAre("", "x", "")));
}

TEST(SseParserTest, EventAndIdFields) {
  EXPECT_THAT(Parse("event: delta\nid: 1\ndata: a\n\ndata: b\n\nevent: stop\nid: 2\ndata: c\n\n"),
              ElementsAre(FieldsAre("delta", "a", "1"), FieldsAre("", "b", "1"),
                          FieldsAre("stop", "c", "2")));
}

TEST(SseParserTest, EventWithoutDataIsNotDispatched) {
  EXPECT_THAT(Parse("event: ping\n\ndata: x\n\n"), ElementsAre(FieldsAre("", "x", "")));
}

TEST(SseParserTest, LeadingBomStripped) {
  EXPECT_THAT(Parse("\xEF\xBB\xBF"
                    "data: x\n\n"),
              ElementsAre(FieldsAre("", "x", "")));
  SseParser parser;
  EXPECT_THAT(FeedAll(parser, {"\xEF", "\xBB",
                               "\xBF"
                               "data: y\n\n"}),
              ElementsAre(FieldsAre("", "y", "")));
}

TEST(SseParserTest, BomOnlyAtTheStart) {
  // A BOM later in the stream is data; a partial BOM prefix at the start is kept as data.
  EXPECT_THAT(Parse("data: a\n\n\xEF\xBB\xBF"
                    "data: b\n\n"),
              ElementsAre(FieldsAre("", "a", "")));
  EXPECT_THAT(Parse("\xEF"
                    "data: x\n\n"),
              IsEmpty());  // the field name is "\xEF" "data": unknown, ignored
}

TEST(SseParserTest, FieldWithoutColon) {
  // "data" alone is the data field with an empty value: the event is dispatched with "".
  EXPECT_THAT(Parse("data\n\n"), ElementsAre(FieldsAre("", "", "")));
  EXPECT_THAT(Parse("data\ndata\n\n"), ElementsAre(FieldsAre("", "\n", "")));
  EXPECT_THAT(Parse("event\ndata: x\n\n"), ElementsAre(FieldsAre("", "x", "")));
}

TEST(SseParserTest, DataWithoutSpace) {
  EXPECT_THAT(Parse("data:x\n\n"), ElementsAre(FieldsAre("", "x", "")));
  // Only one leading space is removed.
  EXPECT_THAT(Parse("data:  x \n\n"), ElementsAre(FieldsAre("", " x ", "")));
  EXPECT_THAT(Parse("data: a:b\n\n"), ElementsAre(FieldsAre("", "a:b", "")));
}

TEST(SseParserTest, UnknownFieldsAndRetryIgnored) {
  EXPECT_THAT(Parse("retry: 1000\nfoo: bar\ndata: x\n\n"), ElementsAre(FieldsAre("", "x", "")));
}

TEST(SseParserTest, DonePassedThroughAsData) {
  EXPECT_THAT(Parse("data: {\"x\":1}\n\ndata: [DONE]\n\n"),
              ElementsAre(FieldsAre("", "{\"x\":1}", ""), FieldsAre("", "[DONE]", "")));
}

TEST(SseParserTest, PartialEventAtEnd) {
  SseParser parser;
  EXPECT_THAT(FeedAll(parser, {"data: a\n\ndata: trunc"}), ElementsAre(FieldsAre("", "a", "")));
  EXPECT_TRUE(parser.has_partial());
  SseParser parser2;
  EXPECT_THAT(FeedAll(parser2, {"data: a\n\ndata: b\n"}), ElementsAre(FieldsAre("", "a", "")));
  EXPECT_TRUE(parser2.has_partial());
  SseParser parser3;
  FeedAll(parser3, {"data: a\n\n"});
  EXPECT_FALSE(parser3.has_partial());
}

TEST(SseParserTest, OversizeLineIsResourceExhausted) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  absl::Status s =
      parser.Feed("data: 0123456789abcdef", [&](const SseEvent& e) { events.push_back(e); });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  // Unusable afterwards.
  EXPECT_EQ(parser.Feed("\n\n", [&](const SseEvent& e) { events.push_back(e); }).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(events, IsEmpty());
}

TEST(SseParserTest, OversizeEventAcrossLinesIsResourceExhausted) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  auto collect = [&](const SseEvent& e) { events.push_back(e); };
  ASSERT_TRUE(parser.Feed("data: 01234\n", collect).ok());
  ASSERT_TRUE(parser.Feed("data: 5678\n", collect).ok());
  EXPECT_EQ(parser.Feed("data: 9abcdefgh\n", collect).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(events, IsEmpty());
}

TEST(SseParserTest, EventsUpToTheLimitPass) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        parser.Feed("data: 0123456789\n\n", [&](const SseEvent& e) { events.push_back(e); }).ok());
  }
  EXPECT_EQ(events.size(), 100u);
}

}  // namespace
}  // namespace ptc::http
