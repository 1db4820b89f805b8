#include "samplers/anthropic/anthropic_errors.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::anthropic {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "sk-ant-api03-SECRETKEY";

http::ResponseHead Head(int status, std::vector<std::pair<std::string, std::string>> headers = {
                                        {"content-type", "application/json"}}) {
  http::ResponseHead head;
  head.status = status;
  head.headers = std::move(headers);
  return head;
}

std::string ErrorBody(const std::string& type, const std::string& message) {
  return R"({"type":"error","error":{"type":")" + type + R"(","message":")" + message + R"("}})";
}

TEST(AnthropicErrorsTest, RateLimitHonoursRetryAfterSeconds) {
  auto head = Head(429, {{"content-type", "application/json"}, {"retry-after", "7"}});
  http::UpstreamError e =
      ClassifyHttpError(head, ErrorBody("rate_limit_error", "Number of requests exceeded"), kKey);
  EXPECT_EQ(e.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(e.retryable);
  ASSERT_TRUE(e.retry_after.has_value());
  EXPECT_EQ(*e.retry_after, std::chrono::seconds(7));
  EXPECT_THAT(e.status.message(), HasSubstr("429"));
  EXPECT_THAT(e.status.message(), HasSubstr("Number of requests exceeded"));
}

TEST(AnthropicErrorsTest, OverloadedAndServerErrorsAreRetryableUnavailable) {
  for (int status : {500, 502, 503, 504, 529}) {
    http::UpstreamError e = ClassifyHttpError(
        Head(status), ErrorBody(status == 529 ? "overloaded_error" : "api_error", "Overloaded"),
        kKey);
    EXPECT_EQ(e.status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_TRUE(e.retryable) << status;
    EXPECT_FALSE(e.retry_after.has_value());
    EXPECT_THAT(e.status.message(), HasSubstr(std::to_string(status)));
  }
  http::UpstreamError e = ClassifyHttpError(Head(529), ErrorBody("overloaded_error", "x"), kKey);
  EXPECT_THAT(e.status.message(), HasSubstr("overloaded_error"));
}

TEST(AnthropicErrorsTest, ClientErrorsAreNotRetried) {
  struct Case {
    int status;
    const char* type;
    absl::StatusCode code;
  };
  for (const Case& c : {Case{400, "invalid_request_error", absl::StatusCode::kInvalidArgument},
                        Case{401, "authentication_error", absl::StatusCode::kUnauthenticated},
                        Case{403, "permission_error", absl::StatusCode::kPermissionDenied},
                        Case{404, "not_found_error", absl::StatusCode::kNotFound},
                        Case{413, "request_too_large", absl::StatusCode::kInvalidArgument}}) {
    http::UpstreamError e =
        ClassifyHttpError(Head(c.status), ErrorBody(c.type, "thinking.budget_tokens: bad"), kKey);
    EXPECT_EQ(e.status.code(), c.code) << c.status;
    EXPECT_FALSE(e.retryable) << c.status;
    EXPECT_THAT(e.status.message(), HasSubstr(c.type));
    EXPECT_THAT(e.status.message(), HasSubstr("thinking.budget_tokens: bad"));
  }
}

TEST(AnthropicErrorsTest, TheKeyIsNeverQuoted) {
  http::UpstreamError e = ClassifyHttpError(
      Head(401), ErrorBody("authentication_error", std::string("invalid x-api-key ") + kKey), kKey);
  EXPECT_EQ(e.status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(e.status.message(), Not(HasSubstr(kKey)));
  EXPECT_THAT(e.status.message(), HasSubstr("[redacted]"));
}

TEST(AnthropicErrorsTest, HtmlPagesAreDescribedNotQuoted) {
  const std::string page =
      "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>cloudflare "
      "error page</h1></body></html>";
  http::UpstreamError e =
      ClassifyHttpError(Head(502, {{"content-type", "text/html; charset=UTF-8"}}), page, kKey);
  EXPECT_EQ(e.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(e.retryable);
  EXPECT_THAT(e.status.message(), HasSubstr("HTML page"));
  EXPECT_THAT(e.status.message(), Not(HasSubstr("<")));
  EXPECT_THAT(e.status.message(), Not(HasSubstr("cloudflare")));

  // No content type, but it looks like markup.
  e = ClassifyHttpError(Head(403, {}), "  <html>denied</html>", kKey);
  EXPECT_EQ(e.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(e.status.message(), Not(HasSubstr("denied")));

  e = ClassifyHttpError(Head(503, {}), "upstream connect error", kKey);
  EXPECT_THAT(e.status.message(), HasSubstr("non-JSON"));
  EXPECT_THAT(e.status.message(), Not(HasSubstr("upstream connect")));

  e = ClassifyHttpError(Head(500, {}), "", kKey);
  EXPECT_THAT(e.status.message(), HasSubstr("empty body"));
}

TEST(AnthropicErrorsTest, LongMessagesAreBounded) {
  http::UpstreamError e = ClassifyHttpError(
      Head(400), ErrorBody("invalid_request_error", std::string(5000, 'x')), kKey);
  EXPECT_LT(e.status.message().size(), 700u);
}

TEST(AnthropicErrorsTest, UnknownStatusWithKnownTypeTakesTheTypesCode) {
  http::UpstreamError e = ClassifyHttpError(Head(418), ErrorBody("overloaded_error", "busy"), kKey);
  EXPECT_EQ(e.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(e.retryable);
}

}  // namespace
}  // namespace ptc::anthropic
