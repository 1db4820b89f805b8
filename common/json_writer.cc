#include "common/json_writer.h"

#include <cassert>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ptc {
namespace {

// Appends the escape nlohmann writes for `c`, a control byte, a quote or a backslash.
void AppendEscape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  const char hex[] = {'\\', 'u', '0', '0', kDigits[c >> 4], kDigits[c & 0xF]};
  out.append(hex, sizeof(hex));
}

// Whether any of the 8 bytes at `p` is a control byte, a quote, a backslash or >= 0x80 (bit
// tricks on one 64-bit word: a byte below n sets its high bit in (x - n * kOnes) & ~x).
bool HasSpecialByte(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t x;
  std::memcpy(&x, p, sizeof(x));
  const uint64_t quote = x ^ (kOnes * '"');
  const uint64_t backslash = x ^ (kOnes * '\\');
  return ((x | ((x - kOnes * 0x20) & ~x) | ((quote - kOnes) & ~quote) |
           ((backslash - kOnes) & ~backslash)) &
          kHigh) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view value) {
  const size_t start = out.size();
  out.reserve(start + value.size() + 2);
  out += '"';
  const char* run = value.data();  // the first byte not yet appended
  const char* const end = value.data() + value.size();
  for (const char* p = run; p != end; ++p) {
    while (end - p >= 8 && !HasSpecialByte(p)) p += 8;
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
    if (c >= 0x80) {
      // UTF-8 (or bytes that are not): nlohmann validates, replacing what is invalid.
      out.resize(start);
      out += nlohmann::json(std::string(value))
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
    out.append(run, p);
    AppendEscape(out, c);
    run = p + 1;
  }
  out.append(run, end);
  out += '"';
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  // In an object a Key comes first; at the top, one value only.
  assert(levels_.empty() ? out_.empty() : !levels_.back().object);
  if (!levels_.empty()) Separate();
}

void JsonWriter::Separate() {
  if (levels_.back().has_member) out_ += ',';
  levels_.back().has_member = true;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  levels_.push_back({true, false});
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  levels_.push_back({false, false});
  return *this;
}

void JsonWriter::Close(char c) {
  assert(!levels_.empty() && !after_key_ && levels_.back().object == (c == '}'));
  levels_.pop_back();
  out_ += c;
}

JsonWriter& JsonWriter::EndObject() {
  Close('}');
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  Close(']');
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  assert(!levels_.empty() && levels_.back().object && !after_key_);
  Separate();
  AppendJsonString(out_, key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  out_ += nlohmann::json(value).dump();
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

std::string JsonWriter::Take() {
  assert(levels_.empty() && !after_key_);
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

}  // namespace ptc
