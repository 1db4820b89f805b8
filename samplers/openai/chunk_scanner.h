// The fast path of OpenAiDecoder::OnEvent: a single-pass scanner for the common shape of a
// chat.completion.chunk event, without building a JSON DOM.
//
// Contract: ScanChunk returns true only when `data` is a JSON document that nlohmann::json::parse
// accepts (strict RFC 8259: UTF-8 checked, escapes incl. \uXXXX surrogate pairs, number grammar,
// nothing but whitespace around it) AND has this shape, which the decoder then reads exactly as
// its DOM path would:
//   {"choices": null | [] | [ONE choice object], "usage": null | {...}, "error": null, others...}
//   choice: "index" null | integer >= 0; "delta" null | {"content", "reasoning_content",
//           "reasoning": null | string; "tool_calls", "function_call": null; others...};
//           "logprobs" null | {"content": null | [{"logprob": number, "top_logprobs": null |
//           [{"logprob": number, ...}], ...}], ...}; "finish_reason" null | string
//   usage: "prompt_tokens", "completion_tokens": any (counted when an integer);
//          "completion_tokens_details" null | {"reasoning_tokens": any};
//          "prompt_tokens_details" null | {"cached_tokens": any}
// Anything else returns false and the caller falls back to the DOM: invalid JSON, a top level that
// is not an object or starts with a BOM, several choices, an error object, tool calls, a known key
// given twice, a key with an escape, a value of another type, an integer of more than 18 digits,
// a float out of range, nesting deeper than kMaxDepth. `out` is then unspecified.
//
// StreamScanner (below) scans the chunks of one stream with the same results, reading only the
// text of a chunk that repeats the one before but for its text.
//
// Header-only; included by openai_decoder.h and the tests (tests/samplers/openai/).
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "samplers/chain.h"

namespace ptc::openai {

struct ScannedChunk {
  bool has_choice = false;  // "choices" held one choice
  uint64_t index = 0;
  std::string content;
  std::optional<std::string> reasoning_content, reasoning;  // when non-null
  bool has_logprobs = false;                                // logprobs.content was an array
  std::vector<float> logprobs;      // each entry's logprob, as json::get<float>
  std::vector<float> alts;          // every entry's top_logprobs[].logprob, flattened
  std::vector<int32_t> alt_counts;  // per entry; -1 when its top_logprobs is null or absent
  std::optional<std::string> finish_reason;
  bool has_usage = false;
  // Counted as the decoder's Count(): integers only, negative as 0, at most kMaxReportedTokens.
  std::optional<uint64_t> prompt, completion, reasoning_tokens, cached;
};

// The delta's text fields.
enum class TextField { kNone, kContent, kReasoningContent, kReasoning };

// `field`'s string in `chunk` (an optional one engaged, empty); not kNone.
inline std::string* TextOf(TextField field, ScannedChunk* chunk) {
  switch (field) {
    case TextField::kReasoningContent:
      return &chunk->reasoning_content.emplace();
    case TextField::kReasoning:
      return &chunk->reasoning.emplace();
    default:
      return &chunk->content;
  }
}

namespace chunk_scanner_internal {

class Scanner {
 public:
  static constexpr int kMaxDepth = 64;

  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool Document(ScannedChunk* out) {
    out_ = out;
    Ws();
    if (!Object(0, [this](std::string_view key) { return TopMember(key); })) return false;
    Ws();
    return p_ == end_;
  }

  // True when the input is exactly one JSON string token (checked as any string is), unescaped
  // into `*out` (appended).
  bool StringToken(std::string* out) { return At('"') && String(out) && p_ == end_; }

  // After Document: the delta's text field read last as a string (kNone: none was), and the span
  // of its token (quotes included) in the input.
  TextField text_field() const { return text_field_; }
  const char* text_begin() const { return text_begin_; }
  const char* text_end() const { return text_end_; }

 private:
  enum class NumKind { kUnsigned, kNegative, kFloat };
  struct Number {
    NumKind kind = NumKind::kUnsigned;
    uint64_t magnitude = 0;  // integers
    double value = 0;        // floats
  };

  // ---- Members of the known objects; each returns false to fall back. ----

  bool TopMember(std::string_view key) {
    if (key == "choices") {
      if (!Once(0)) return false;
      if (Null()) return true;
      int i = 0;
      return Array(0, [this, &i] { return i++ == 0 && Choice(); });
    }
    if (key == "usage") return Once(1) && (Null() || Usage());
    if (key == "error") return Once(2) && Null();
    return Skip(1);
  }

  bool Choice() {
    out_->has_choice = true;
    uint32_t seen = 0;
    return Object(1, [this, &seen](std::string_view key) {
      if (key == "index") {
        if (!Mark(&seen, 1)) return false;
        if (Null()) return true;
        Number n;
        if (!ParseNumber(&n) || n.kind != NumKind::kUnsigned) return false;
        out_->index = n.magnitude;
        return true;
      }
      if (key == "delta") return Mark(&seen, 2) && (Null() || Delta());
      if (key == "logprobs") return Mark(&seen, 4) && (Null() || Logprobs());
      if (key == "finish_reason") return Mark(&seen, 8) && OptString(&out_->finish_reason);
      return Skip(2);
    });
  }

  bool Delta() {
    uint32_t seen = 0;
    return Object(2, [this, &seen](std::string_view key) {
      if (key == "content") return Mark(&seen, 1) && Text(TextField::kContent);
      if (key == "reasoning_content") return Mark(&seen, 2) && Text(TextField::kReasoningContent);
      if (key == "reasoning") return Mark(&seen, 4) && Text(TextField::kReasoning);
      if (key == "tool_calls" || key == "function_call") return Null();
      return Skip(3);
    });
  }

  bool Logprobs() {
    uint32_t seen = 0;
    return Object(2, [this, &seen](std::string_view key) {
      if (key != "content") return Skip(3);
      if (!Mark(&seen, 1)) return false;
      if (Null()) return true;
      out_->has_logprobs = true;
      return Array(3, [this] { return Entry(); });
    });
  }

  bool Entry() {
    uint32_t seen = 0;
    int32_t count = -1;
    const bool ok = Object(4, [this, &seen, &count](std::string_view key) {
      if (key == "logprob") return Mark(&seen, 1) && Logprob(&out_->logprobs);
      if (key != "top_logprobs") return Skip(5);
      if (!Mark(&seen, 2)) return false;
      if (Null()) return true;
      count = 0;
      return Array(5, [this, &count] {
        ++count;
        uint32_t alt_seen = 0;
        return Object(6,
                      [this, &alt_seen](std::string_view k) {
                        if (k == "logprob") return Mark(&alt_seen, 1) && Logprob(&out_->alts);
                        return Skip(7);
                      }) &&
               alt_seen == 1;
      });
    });
    out_->alt_counts.push_back(count);
    return ok && (seen & 1) != 0;
  }

  bool Usage() {
    out_->has_usage = true;
    uint32_t seen = 0;
    return Object(1, [this, &seen](std::string_view key) {
      if (key == "prompt_tokens") return Mark(&seen, 1) && Count(&out_->prompt);
      if (key == "completion_tokens") return Mark(&seen, 2) && Count(&out_->completion);
      if (key == "completion_tokens_details") {
        return Mark(&seen, 4) && Details("reasoning_tokens", &out_->reasoning_tokens);
      }
      if (key == "prompt_tokens_details") {
        return Mark(&seen, 8) && Details("cached_tokens", &out_->cached);
      }
      return Skip(2);
    });
  }

  bool Details(std::string_view name, std::optional<uint64_t>* count) {
    if (Null()) return true;
    uint32_t seen = 0;
    return Object(2, [this, name, count, &seen](std::string_view key) {
      if (key == name) return Mark(&seen, 1) && Count(count);
      return Skip(3);
    });
  }

  // ---- Typed values. ----

  // null, or a string into `*out`.
  bool OptString(std::optional<std::string>* out) {
    if (Null()) return true;
    if (!At('"')) return false;
    out->emplace();
    return String(&**out);
  }

  // null, or a string of the delta's text into its field, its span recorded.
  bool Text(TextField field) {
    if (Null()) return true;
    const char* begin = p_;
    if (!At('"') || !String(TextOf(field, out_))) return false;
    text_field_ = field;
    text_begin_ = begin;
    text_end_ = p_;
    return true;
  }

  // A number, appended as nlohmann's get<float>() gives it.
  bool Logprob(std::vector<float>* out) {
    Number n;
    if (!ParseNumber(&n)) return false;
    switch (n.kind) {
      case NumKind::kUnsigned:
        out->push_back(static_cast<float>(n.magnitude));
        break;
      case NumKind::kNegative:
        out->push_back(static_cast<float>(-static_cast<int64_t>(n.magnitude)));
        break;
      case NumKind::kFloat:
        out->push_back(static_cast<float>(n.value));
        break;
    }
    return true;
  }

  // Any value; an integer is counted, anything else reads as absent.
  bool Count(std::optional<uint64_t>* out) {
    out->reset();
    if (!At('-') && !(p_ < end_ && *p_ >= '0' && *p_ <= '9')) return Skip(8);
    Number n;
    if (!ParseNumber(&n)) return false;
    if (n.kind == NumKind::kUnsigned) *out = std::min(n.magnitude, kMaxReportedTokens);
    if (n.kind == NumKind::kNegative) *out = 0;
    return true;
  }

  // ---- JSON structure. ----

  void Ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool At(char c) const { return p_ < end_ && *p_ == c; }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }
  // Consumes `null` when it is next.
  bool Null() { return At('n') && Literal("null"); }
  // Sets `bit` in `*seen`; false when it was set already (a key given twice).
  static bool Mark(uint32_t* seen, uint32_t bit) {
    if (*seen & bit) return false;
    *seen |= bit;
    return true;
  }
  bool Once(uint32_t bit) { return Mark(&top_seen_, 1u << bit); }

  // '{' members '}', calling member(key) with the position at the value; false unless an object.
  template <typename F>
  bool Object(int depth, F&& member) {
    if (depth > kMaxDepth || !At('{')) return false;
    ++p_;
    Ws();
    if (At('}')) return ++p_, true;
    while (true) {
      std::string_view key;
      if (!Key(&key)) return false;
      Ws();
      if (!At(':')) return false;
      ++p_;
      Ws();
      if (!member(key)) return false;
      Ws();
      if (At('}')) return ++p_, true;
      if (!At(',')) return false;
      ++p_;
      Ws();
    }
  }

  // '[' elements ']', calling element() with the position at each element.
  template <typename F>
  bool Array(int depth, F&& element) {
    if (depth > kMaxDepth || !At('[')) return false;
    ++p_;
    Ws();
    if (At(']')) return ++p_, true;
    while (true) {
      if (!element()) return false;
      Ws();
      if (At(']')) return ++p_, true;
      if (!At(',')) return false;
      ++p_;
      Ws();
    }
  }

  // Any value, checked and skipped.
  bool Skip(int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(depth, [this, depth](std::string_view) { return Skip(depth + 1); });
      case '[':
        return Array(depth, [this, depth] { return Skip(depth + 1); });
      case '"':
        return String(nullptr);
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default: {
        Number n;
        return ParseNumber(&n);
      }
    }
  }

  // Bytes a string holds as they are: printable ASCII but the quote and the backslash.
  static constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
    return plain;
  }();
  bool Plain(const char* p) const { return kPlain[static_cast<unsigned char>(*p)]; }
  // Moves p_ past plain bytes (four at a time while it can).
  void SkipPlain() {
    while (end_ - p_ >= 4 && Plain(p_) && Plain(p_ + 1) && Plain(p_ + 2) && Plain(p_ + 3)) p_ += 4;
    while (p_ < end_ && Plain(p_)) ++p_;
  }

  // A key without escapes, as its raw bytes (valid UTF-8).
  bool Key(std::string_view* key) {
    if (!At('"')) return false;
    const char* start = ++p_;
    while (true) {
      SkipPlain();
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *key = std::string_view(start, p_ - start);
        ++p_;
        return true;
      }
      if (c < 0x80 || !Utf8()) return false;  // an escape, a control character, bad UTF-8
    }
  }

  // A string at '"', unescaped into `*out` (appended; nullptr: only checked).
  bool String(std::string* out) {
    const char* run = ++p_;  // bytes copied as they are, up to p_
    while (true) {
      SkipPlain();
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c >= 0x80) {
        if (!Utf8()) return false;
        continue;
      }
      if (c < 0x20) return false;
      if (out != nullptr) out->append(run, p_ - run);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (!Escape(out)) return false;
      run = p_;
    }
  }

  // One escape at '\\'.
  bool Escape(std::string* out) {
    if (end_ - p_ < 2) return false;
    const char e = p_[1];
    p_ += 2;
    char c = 0;
    switch (e) {
      case '"':
        c = '"';
        break;
      case '\\':
        c = '\\';
        break;
      case '/':
        c = '/';
        break;
      case 'b':
        c = '\b';
        break;
      case 'f':
        c = '\f';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      case 'u':
        return Unicode(out);
      default:
        return false;
    }
    if (out != nullptr) out->push_back(c);
    return true;
  }

  // The XXXX of \uXXXX (after "\u"), with a low surrogate's \uXXXX after a high one, as UTF-8.
  bool Unicode(std::string* out) {
    int32_t cp = Hex4();
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      const int32_t low = Hex4();
      if (low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (out == nullptr) return true;
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  int32_t Hex4() {
    if (end_ - p_ < 4) return -1;
    int32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }

  // One well-formed UTF-8 sequence of 2-4 bytes (Unicode Table 3-7, as nlohmann checks it).
  bool Utf8() {
    const auto b = [this](int i) { return static_cast<unsigned char>(p_[i]); };
    const auto in = [](unsigned char c, unsigned char lo, unsigned char hi) {
      return c >= lo && c <= hi;
    };
    const unsigned char c = b(0);
    int len;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (in(c, 0xC2, 0xDF)) {
      len = 2;
    } else if (in(c, 0xE0, 0xEF)) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (in(c, 0xF0, 0xF4)) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ < len || !in(b(1), lo, hi)) return false;
    for (int i = 2; i < len; ++i) {
      if (!in(b(i), 0x80, 0xBF)) return false;
    }
    p_ += len;
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ParseNumber(Number* n) {
    const char* start = p_;
    const bool negative = At('-');
    if (negative) ++p_;
    const char* digits = p_;
    if (At('0')) {
      ++p_;
    } else if (p_ < end_ && *p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return false;
    }
    const char* int_end = p_;
    bool is_float = false;
    if (At('.')) {
      ++p_;
      if (!Digits()) return false;
      is_float = true;
    }
    if (At('e') || At('E')) {
      ++p_;
      if (At('+') || At('-')) ++p_;
      if (!Digits()) return false;
      is_float = true;
    }
    if (is_float) {
      n->kind = NumKind::kFloat;
      const std::from_chars_result r = std::from_chars(start, p_, n->value);
      return r.ec == std::errc() && r.ptr == p_;
    }
    // Kept within what strtoull / strtoll read without overflow (nlohmann turns more into a float).
    if (int_end - digits > 18) return false;
    n->kind = negative ? NumKind::kNegative : NumKind::kUnsigned;
    n->magnitude = 0;
    for (const char* d = digits; d < int_end; ++d) n->magnitude = n->magnitude * 10 + (*d - '0');
    if (negative && n->magnitude == 0) n->kind = NumKind::kUnsigned;  // "-0" is the integer 0
    return true;
  }

  bool Digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }

  const char* p_;
  const char* end_;
  ScannedChunk* out_ = nullptr;
  uint32_t top_seen_ = 0;
  TextField text_field_ = TextField::kNone;
  const char* text_begin_ = nullptr;
  const char* text_end_ = nullptr;
};

}  // namespace chunk_scanner_internal

// See the contract above. `out` must be fresh (default-constructed).
inline bool ScanChunk(std::string_view data, ScannedChunk* out) {
  return chunk_scanner_internal::Scanner(data).Document(out);
}

// ScanChunk for the chunks of one stream, with the same results, and faster when a chunk repeats
// the one before but for its text: streaming servers send every byte of a chunk again (id,
// created, model, index, the nulls) except the delta's text. A chunk that scans with a text string
// in its delta (and no logprobs, which change with every token) is kept as the template. A later
// chunk made of the template's bytes before that string token, one JSON string token, and the
// template's bytes after it is the template's document with only that string's value changed, so
// it scans to the template's result with the new text: only the new token is read (checked as
// any string is). Any other chunk is scanned in full, and kept as the template when it qualifies,
// unless templates keep going unused: a stream whose chunks never repeat (OpenAI's carry a
// random "obfuscation" pad each) then keeps one only every kRetryEvery chunks.
class StreamScanner {
 public:
  static constexpr uint32_t kMaxUnused =
      4;  // templates replaced unused in a row before backing off
  static constexpr uint32_t kRetryEvery = 32;

  // As ScanChunk. `out` must be fresh (default-constructed).
  bool Scan(std::string_view data, ScannedChunk* out) {
    // The tail first: it is the shorter, and where chunks that never repeat differ.
    if (field_ != TextField::kNone && data.size() >= head_ + tail_ + 2 &&
        std::memcmp(data.data() + data.size() - tail_, template_.data() + template_.size() - tail_,
                    tail_) == 0 &&
        std::memcmp(data.data(), template_.data(), head_) == 0) {
      *out = result_;
      chunk_scanner_internal::Scanner token(data.substr(head_, data.size() - head_ - tail_));
      if (token.StringToken(TextOf(field_, out))) {
        ++template_hits_;
        used_ = true;
        return true;
      }
      *out = ScannedChunk();
    }
    chunk_scanner_internal::Scanner scanner(data);
    if (!scanner.Document(out)) return false;
    if (scanner.text_field() != TextField::kNone && !out->has_logprobs) {
      unused_ = field_ != TextField::kNone && !used_ ? unused_ + 1 : 0;
      if (unused_ <= kMaxUnused || unused_ % kRetryEvery == 0) Keep(scanner, data, *out);
    }
    return true;
  }

  // Chunks scanned from the template (the rest were scanned in full), and templates kept.
  uint64_t template_hits() const { return template_hits_; }
  uint64_t templates_kept() const { return templates_kept_; }

 private:
  void Keep(const chunk_scanner_internal::Scanner& scanner, std::string_view data,
            const ScannedChunk& result) {
    field_ = scanner.text_field();
    template_.assign(data);
    head_ = static_cast<size_t>(scanner.text_begin() - data.data());
    tail_ = static_cast<size_t>(data.data() + data.size() - scanner.text_end());
    result_ = result;
    TextOf(field_, &result_)->clear();
    used_ = false;
    ++templates_kept_;
  }

  TextField field_ = TextField::kNone;  // kNone: no template
  std::string template_;
  size_t head_ = 0;      // the template's bytes before its text token
  size_t tail_ = 0;      // and after it
  ScannedChunk result_;  // the template's result, its text empty
  bool used_ = false;    // a chunk came from the template
  uint32_t unused_ = 0;  // qualifying chunks in a row that found the template unused
  uint64_t template_hits_ = 0;
  uint64_t templates_kept_ = 0;
};

}  // namespace ptc::openai
