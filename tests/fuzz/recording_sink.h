// A DecodeSink for the decoder fuzzers: checks what chain.h and chain_protocol.h promise of every
// delta, and keeps the text and reasoning streamed per choice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "samplers/chain.h"
#include "samplers/http/chain_protocol.h"
#include "tests/fuzz/fuzz_check.h"

namespace ptc::fuzz {

class RecordingSink : public http::DecodeSink {
 public:
  explicit RecordingSink(uint32_t n) : text_(n), reasoning_(n) {}

  // Checked per delta: the choice is in [0, n); logprobs, when present, hold one value per token
  // and top_logprobs top_k per token.
  void OnDelta(uint32_t choice, const ChainDelta& d) override {
    PTC_FUZZ_CHECK(choice < text_.size());
    PTC_FUZZ_CHECK(d.logprobs.empty() || d.logprobs.size() == d.tokens);
    if (!d.top_logprobs.empty()) {
      PTC_FUZZ_CHECK(d.top_k > 0);
      PTC_FUZZ_CHECK(d.top_logprobs.size() == static_cast<size_t>(d.tokens) * d.top_k);
    }
    text_[choice].append(d.text);
    reasoning_[choice].append(d.reasoning);
    ++deltas_;
  }

  const std::string& text(uint32_t choice) const { return text_[choice]; }
  const std::string& reasoning(uint32_t choice) const { return reasoning_[choice]; }
  uint64_t deltas() const { return deltas_; }

 private:
  std::vector<std::string> text_;
  std::vector<std::string> reasoning_;
  uint64_t deltas_ = 0;
};

}  // namespace ptc::fuzz
