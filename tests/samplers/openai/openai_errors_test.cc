#include "samplers/openai/openai_errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::openai {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const auto kNow = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14 22:13:20

http::ResponseHead Head(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::ResponseHead h;
  h.status = status;
  h.headers = std::move(headers);
  return h;
}

http::UpstreamError Classify(int status, std::string_view body,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
  return ClassifyHttpError(Head(status, std::move(headers)), body, "sk-secret-key-123", kNow);
}

constexpr std::string_view kRateLimited =
    R"({"error": {"message": "Rate limit reached for requests", "type": "requests",
        "param": null, "code": "rate_limit_exceeded"}})";

TEST(OpenAiErrorsTest, CodesAndRetryability) {
  struct Case {
    int status;
    absl::StatusCode code;
    bool retryable;
  };
  for (const Case& c : {Case{400, absl::StatusCode::kInvalidArgument, false},
                        Case{401, absl::StatusCode::kUnauthenticated, false},
                        Case{403, absl::StatusCode::kPermissionDenied, false},
                        Case{404, absl::StatusCode::kNotFound, false},
                        Case{422, absl::StatusCode::kInvalidArgument, false},
                        Case{429, absl::StatusCode::kResourceExhausted, true},
                        Case{500, absl::StatusCode::kUnavailable, true},
                        Case{502, absl::StatusCode::kUnavailable, true},
                        Case{503, absl::StatusCode::kUnavailable, true},
                        Case{504, absl::StatusCode::kUnavailable, true},
                        Case{501, absl::StatusCode::kUnimplemented, false},
                        Case{418, absl::StatusCode::kFailedPrecondition, false}}) {
    const http::UpstreamError e = Classify(c.status, kRateLimited);
    EXPECT_EQ(e.status.code(), c.code) << c.status;
    EXPECT_EQ(e.retryable, c.retryable) << c.status;
    EXPECT_EQ(e.status.message(),
              "HTTP " + std::to_string(c.status) + ": Rate limit reached for requests");
  }
}

TEST(OpenAiErrorsTest, SpentQuotaIsNotRetried) {
  const http::UpstreamError e =
      Classify(429, R"({"error": {"message": "You exceeded your current quota", "type":
              "insufficient_quota", "param": null, "code": "insufficient_quota"}})");
  EXPECT_EQ(e.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(e.retryable);
}

TEST(OpenAiErrorsTest, RetryAfterSecondsDateAndMs) {
  EXPECT_EQ(Classify(429, kRateLimited, {{"retry-after", "3"}}).retry_after,
            std::chrono::milliseconds(3000));
  EXPECT_EQ(Classify(503, "", {{"retry-after", "Tue, 14 Nov 2023 22:13:50 GMT"}}).retry_after,
            std::chrono::milliseconds(30'000));
  EXPECT_EQ(
      Classify(429, kRateLimited, {{"retry-after-ms", "250"}, {"retry-after", "9"}}).retry_after,
      std::chrono::milliseconds(250));
  EXPECT_FALSE(Classify(429, kRateLimited, {{"retry-after", "soon"}}).retry_after.has_value());
  EXPECT_FALSE(Classify(400, kRateLimited, {{"retry-after", "3"}}).retry_after.has_value());
}

TEST(OpenAiErrorsTest, NonJsonBodiesAreNotQuoted) {
  const http::UpstreamError e =
      Classify(502, "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>");
  EXPECT_EQ(e.status.message(), "HTTP 502 (non-JSON body)");
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(Classify(500, "").status.message(), "HTTP 500");
  EXPECT_EQ(Classify(500, "[1]").status.message(), "HTTP 500");
}

TEST(OpenAiErrorsTest, OtherServersErrorShapes) {
  // vLLM
  EXPECT_EQ(Classify(400, R"({"object": "error", "message": "max_tokens is too large",
                             "type": "BadRequestError", "param": null, "code": 400})")
                .status.message(),
            "HTTP 400: max_tokens is too large");
  // Ollama / llama.cpp
  EXPECT_EQ(Classify(404, R"({"error": "model \"qwen\" not found"})").status.message(),
            "HTTP 404: model \"qwen\" not found");
}

TEST(OpenAiErrorsTest, KeysAreMasked) {
  const http::UpstreamError e = Classify(
      401, R"({"error": {"message": "Incorrect API key provided: sk-proj-abcdefgh1234. Also )"
           R"(sk-secret-key-123.", "type": "invalid_request_error", "code": "invalid_api_key"}})");
  EXPECT_EQ(e.status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(e.status.message(), Not(HasSubstr("abcdefgh1234")));
  EXPECT_THAT(e.status.message(), Not(HasSubstr("secret-key")));
  EXPECT_THAT(e.status.message(), HasSubstr("Incorrect API key provided"));
  const std::string long_message =
      absl::StrCat(R"({"error": {"message": ")", std::string(5000, 'x'), R"("}})");
  EXPECT_LT(Classify(500, long_message).status.message().size(), 600u);
}

}  // namespace
}  // namespace ptc::openai
