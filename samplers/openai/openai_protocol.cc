#include "samplers/openai/openai_protocol.h"

#include <chrono>
#include <utility>

#include "common/status_macros.h"
#include "samplers/openai/openai_decoder.h"
#include "samplers/openai/openai_errors.h"
#include "samplers/openai/openai_request.h"

namespace ptc::openai {

OpenAiProtocol::OpenAiProtocol(OpenAiOptions options) : options_(std::move(options)) {}

absl::StatusOr<http::Request> OpenAiProtocol::BuildRequest(const ChainSpec& spec,
                                                           uint32_t n) const {
  http::Request request;
  request.method = "POST";
  request.path = "/chat/completions";
  ASSIGN_OR_RETURN(request.body, BuildChatCompletionBody(options_, spec, n, streaming()));
  request.headers.emplace_back("content-type", "application/json");
  request.headers.emplace_back("accept", streaming() ? "text/event-stream" : "application/json");
  if (!options_.api_key.empty()) {
    request.headers.emplace_back("authorization", "Bearer " + options_.api_key);
  }
  for (const auto& header : options_.extra_headers) request.headers.push_back(header);
  request.deadline = spec.deadline;
  return request;
}

std::unique_ptr<http::ResponseDecoder> OpenAiProtocol::NewDecoder(const ChainSpec& spec,
                                                                  uint32_t n) const {
  DecoderOptions d;
  d.n = n;
  d.split_think_tags = options_.split_think_tags;
  d.think_open_at_start = options_.think_open_at_start;
  d.top_logprobs = spec.top_logprobs;
  d.prompt_estimate = EstimatePromptTokens(spec);
  d.api_key = options_.api_key;
  return std::make_unique<OpenAiDecoder>(std::move(d));
}

http::UpstreamError OpenAiProtocol::ClassifyError(const http::ResponseHead& head,
                                                  std::string_view body) const {
  return ClassifyHttpError(head, body, options_.api_key, std::chrono::system_clock::now());
}

}  // namespace ptc::openai
