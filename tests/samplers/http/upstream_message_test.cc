#include "samplers/http/upstream_message.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);  // Tue, 14 Nov 2023 22:13:20 GMT

TEST(ParseRetryAfterTest, SecondsAndDates) {
  EXPECT_EQ(ParseRetryAfter("0", kNow), std::chrono::milliseconds(0));
  EXPECT_EQ(ParseRetryAfter(" 1.5 ", kNow), std::chrono::milliseconds(1500));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", kNow), std::chrono::seconds(30));
  // A date in the past means now; a wait beyond a day is capped at a day.
  EXPECT_EQ(ParseRetryAfter("Mon, 13 Nov 2023 00:00:00 GMT", kNow), std::chrono::milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("1000000", kNow), std::chrono::hours(24));
  EXPECT_EQ(ParseRetryAfter("Fri, 01 Dec 2023 00:00:00 GMT", kNow), std::chrono::hours(24));
}

TEST(ParseRetryAfterTest, UnreadableIsNullopt) {
  for (const char* v : {"", "  ", "soon", "-3", "nan", "inf", "14 Nov 2023", "1.5s"}) {
    EXPECT_EQ(ParseRetryAfter(v, kNow), std::nullopt) << v;
  }
}

TEST(SafeUpstreamMessageTest, SecretsAndKeyShapedTokensAreRedacted) {
  const std::string m = SafeUpstreamMessage(
      "Incorrect API key provided: sk-proj-abcdefgh1234; also my-own-secret-42 and "
      "sk-ant-api03-xyzw",
      "my-own-secret-42");
  EXPECT_THAT(m, Not(HasSubstr("abcdefgh1234")));
  EXPECT_THAT(m, Not(HasSubstr("my-own-secret-42")));
  EXPECT_THAT(m, Not(HasSubstr("xyzw")));
  EXPECT_THAT(m, HasSubstr("Incorrect API key provided: [redacted]"));
  // A secret too short to be a key is not hunted through ordinary words.
  EXPECT_EQ(SafeUpstreamMessage("a bad request", "a"), "a bad request");
  // "task-force" is not a key.
  EXPECT_EQ(SafeUpstreamMessage("task-force1234", ""), "task-force1234");
}

TEST(SafeUpstreamMessageTest, ControlCharactersBecomeSpaces) {
  EXPECT_EQ(SafeUpstreamMessage("line one\nline two\r\tend\x7f", ""), "line one line two  end ");
}

TEST(SafeUpstreamMessageTest, LongMessagesAreCutOnACharacterBoundary) {
  EXPECT_EQ(SafeUpstreamMessage(std::string(5000, 'x'), ""),
            std::string(kMaxUpstreamMessageBytes, 'x') + "...");
  // "é" is two bytes; a cut must not split one.
  std::string accents;
  while (accents.size() < 2 * kMaxUpstreamMessageBytes) accents += "\xC3\xA9";
  const std::string cut = SafeUpstreamMessage("x" + accents, "");
  ASSERT_EQ(cut.substr(cut.size() - 3), "...");
  const std::string body = cut.substr(0, cut.size() - 3);
  EXPECT_LE(body.size(), kMaxUpstreamMessageBytes);
  EXPECT_EQ((body.size() - 1) % 2, 0u) << "a UTF-8 character was split";
  EXPECT_EQ(SafeUpstreamMessage(std::string(kMaxUpstreamMessageBytes, 'y'), ""),
            std::string(kMaxUpstreamMessageBytes, 'y'));
}

}  // namespace
}  // namespace ptc::http
