// Splits inline <think>...</think> reasoning (Qwen3, QwQ, DeepSeek-R1 served without a reasoning
// parser) out of streamed text, incrementally: a tag may be split across any number of pieces.
#pragma once

#include <string>
#include <string_view>

namespace ptc::openai {

class ThinkSplitter {
 public:
  ThinkSplitter() = default;
  // `starts_inside`: the output begins inside the reasoning (chat templates that end the prompt
  // with "<think>", as DeepSeek-R1's and QwQ's do, so only "</think>" appears). A "<think>" at the
  // very start of the output is then dropped, for servers that echo it.
  explicit ThinkSplitter(bool starts_inside)
      : state_(starts_inside ? State::kInside : State::kBefore), at_start_(starts_inside) {}

  struct Output {
    std::string text;       // visible
    std::string reasoning;  // inside <think>...</think>
  };

  // Consumes the next piece. Bytes that could be the start of a tag are held back until the next
  // piece (or Flush) tells. Tags themselves are dropped. Only the first <think> opens reasoning;
  // later tags outside it are text; nested <think> inside reasoning is reasoning text.
  Output Feed(std::string_view piece);
  // At the end of the stream: what was held back, as text or reasoning depending on where it was
  // (an unclosed <think> leaves everything after it as reasoning).
  Output Flush();

  bool in_reasoning() const { return state_ == State::kInside; }

 private:
  enum class State { kBefore, kInside, kAfter };
  State state_ = State::kBefore;
  bool at_start_ = false;  // starts_inside, and the output's first bytes are not yet seen
  std::string held_;       // a possible tag prefix
};

}  // namespace ptc::openai
