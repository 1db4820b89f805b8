// Chain results (samplers/chain.h) as the API's messages: what the Run's chains and the selection
// calls both record.
#pragma once

#include "ptc/v1/orchestrator.pb.h"
#include "samplers/chain.h"

namespace ptc {

inline v1::ChainStatus ToProto(ChainStatus s) {
  switch (s) {
    case ChainStatus::kOk:
      return v1::CHAIN_STATUS_OK;
    case ChainStatus::kFailed:
      return v1::CHAIN_STATUS_FAILED;
    case ChainStatus::kCancelled:
      return v1::CHAIN_STATUS_CANCELLED;
  }
  return v1::CHAIN_STATUS_UNSPECIFIED;
}

// The status as a metric label: "ok", "failed", "cancelled".
inline const char* StatusLabel(ChainStatus s) {
  switch (s) {
    case ChainStatus::kOk:
      return "ok";
    case ChainStatus::kFailed:
      return "failed";
    case ChainStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

inline void SetUsage(const TokenUsage& u, v1::TokenUsage* out) {
  out->set_prompt_tokens(u.prompt);
  out->set_completion_tokens(u.completion);
  out->set_reasoning_tokens(u.reasoning);
}

inline void AddUsage(const TokenUsage& u, v1::TokenUsage* out) {
  out->set_prompt_tokens(out->prompt_tokens() + u.prompt);
  out->set_completion_tokens(out->completion_tokens() + u.completion);
  out->set_reasoning_tokens(out->reasoning_tokens() + u.reasoning);
}

}  // namespace ptc
