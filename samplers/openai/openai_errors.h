// Reads OpenAI-compatible error answers: HTTP status + JSON error body -> UpstreamError.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "samplers/http/chain_protocol.h"

namespace ptc::openai {

// What an error body says. OpenAI: {"error": {"message", "type", "param", "code"}}; vLLM:
// {"object": "error", "message", "type", "code"}; llama.cpp / Ollama: {"error": "message"} or
// {"error": {"message", ...}}.
struct ErrorBody {
  bool json = false;  // the body was JSON
  std::string message;
  std::string type;
  std::string code;  // a string or a number, as text
};
ErrorBody ParseErrorBody(std::string_view body);

// The HTTP error for a non-2xx answer:
//   400/404/413/422 INVALID_ARGUMENT / NOT_FOUND, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED: no
//   retry; 429 RESOURCE_EXHAUSTED: retry (honouring retry-after-ms / retry-after) unless the code
//   says the quota is spent (insufficient_quota); 408, 409, 5xx (but 501) UNAVAILABLE: retry.
// The message is "HTTP 429: <the body's message>" or, for a body that is not JSON (an HTML page
// from a proxy), "HTTP 502 (non-JSON body)": the body is never quoted then. API keys that appear
// in a message ("sk-...", or `api_key` itself) are masked (http::SafeUpstreamMessage).
http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view api_key,
                                      std::chrono::system_clock::time_point now);

// An `error` object inside a stream (vLLM and others send one as a chunk when generation fails):
// server_error / overloaded -> UNAVAILABLE retryable; rate limits -> RESOURCE_EXHAUSTED
// retryable; anything else INTERNAL. Message as for ClassifyHttpError.
http::UpstreamError ClassifyErrorObject(const ErrorBody& error, std::string_view api_key);

}  // namespace ptc::openai
