#include "samplers/anthropic/anthropic_protocol.h"

#include "samplers/anthropic/anthropic_decoder.h"
#include "samplers/anthropic/anthropic_errors.h"
#include "samplers/anthropic/anthropic_request.h"

namespace ptc::anthropic {

absl::StatusOr<http::Request> AnthropicProtocol::BuildRequest(const ChainSpec& spec,
                                                              uint32_t n) const {
  return BuildMessagesRequest(spec, n, options_);
}

std::unique_ptr<http::ResponseDecoder> AnthropicProtocol::NewDecoder(const ChainSpec& /*spec*/,
                                                                     uint32_t /*n*/) const {
  return std::make_unique<AnthropicDecoder>(options_.api_key);
}

http::UpstreamError AnthropicProtocol::ClassifyError(const http::ResponseHead& head,
                                                     std::string_view body) const {
  return ClassifyHttpError(head, body, options_.api_key);
}

}  // namespace ptc::anthropic
