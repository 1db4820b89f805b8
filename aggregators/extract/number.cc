#include "aggregators/extract/number.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/re2_util.h"
#include "aggregators/extract/text_util.h"
#include "re2/re2.h"

namespace ptc::extract_internal {
namespace {

constexpr size_t kNpos = std::string_view::npos;
constexpr std::string_view kUnicodeMinus = "\xE2\x88\x92";  // U+2212 −
constexpr std::string_view kTimesSign = "\xC3\x97";         // U+00D7 ×
constexpr std::string_view kMiddleDot = "\xC2\xB7";         // U+00B7 ·

// The default relative tolerance when the format gives none.
constexpr double kDefaultRelativeTolerance = 1e-9;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordChar(char c) { return IsDigit(c) || IsAlpha(c) || c == '_'; }
// A '-' or '+' right after one of these is an operator, not a sign ("3-5", "x+1", "(a)-2").
bool BlocksSign(char c) { return IsWordChar(c) || c == ')' || c == ']' || c == '}'; }

// Reads numbers out of a text in one left-to-right pass. Every attempt at a position either fails
// after looking at a bounded stretch that later attempts do not look at again (blanks between a
// mantissa and a "× 10^" that is not there, the pieces of a malformed \frac), or succeeds and
// moves past what it read, so a whole pass is linear.
class NumberReader {
 public:
  explicit NumberReader(std::string_view s) : s_(s) {}

  // Calls fn(value) for each number left to right until fn returns false.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    const size_t n = s_.size();
    size_t i = 0;
    while (i < n) {
      const char c = s_[i];
      if (IsAlpha(c) || c == '_') {  // a word, digits included: "CO2", "x1", "e5"
        while (i < n && IsWordChar(s_[i])) ++i;
        continue;
      }
      if (c == '^') {  // an exponent of something that is not a number: "m/s^2", "x^{10}"
        i = SkipExponentOf(i + 1);
        continue;
      }
      if (IsDigit(c) || c == '.' || c == '+' || c == '-' || c == '$' || c == '\\' ||
          c == kUnicodeMinus[0]) {
        if (std::optional<Token> t = ReadAt(i)) {
          if (t->valid && !fn(t->value)) return;
          i = t->end;
          continue;
        }
      }
      ++i;
    }
  }

 private:
  struct Token {
    size_t end = 0;
    bool valid = false;  // false for non-finite values (still skipped over)
    double value = 0;
  };

  char Ch(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }
  bool At(size_t i, std::string_view lit) const {
    return i <= s_.size() && s_.substr(i).substr(0, lit.size()) == lit;
  }
  size_t SkipBlanks(size_t i) const {
    while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t')) ++i;
    return i;
  }

  // The length of a sign at i (0 if none); sets *negative.
  size_t SignAt(size_t i, bool* negative) const {
    *negative = false;
    if (Ch(i) == '+') return 1;
    if (Ch(i) == '-') {
      *negative = true;
      return 1;
    }
    if (At(i, kUnicodeMinus)) {
      *negative = true;
      return kUnicodeMinus.size();
    }
    return 0;
  }

  // An unsigned decimal at i ("1,234.5", ".5", "12"): appends its plain digits ("1234.5",
  // "0.5") to *out and returns its end, or kNpos. A trailing "." without digits is not read.
  size_t Decimal(size_t i, bool thousands, std::string* out) const {
    size_t j = i;
    while (IsDigit(Ch(j))) ++j;
    const size_t int_len = j - i;
    out->append(s_.substr(i, int_len));
    if (thousands && int_len >= 1 && int_len <= 3) {
      for (;;) {
        size_t sep = 0;
        if (Ch(j) == ',') {
          sep = 1;
        } else if (At(j, "{,}")) {
          sep = 3;
        } else if (At(j, "\\,")) {
          sep = 2;
        }
        const size_t k = j + sep;
        if (sep == 0 || !IsDigit(Ch(k)) || !IsDigit(Ch(k + 1)) || !IsDigit(Ch(k + 2)) ||
            IsDigit(Ch(k + 3))) {
          break;
        }
        out->append(s_.substr(k, 3));
        j = k + 3;
      }
    }
    if (Ch(j) == '.' && IsDigit(Ch(j + 1))) {
      if (int_len == 0) out->push_back('0');
      size_t k = j + 1;
      while (IsDigit(Ch(k))) ++k;
      out->append(s_.substr(j, k - j));
      j = k;
    } else if (int_len == 0) {
      return kNpos;
    }
    return j;
  }

  // A signed integer exponent at i: "-3", "{-3}", "( -3 )". Appends "-3" to *out; returns the
  // end or kNpos.
  size_t Exponent(size_t i, std::string* out) const {
    size_t j = i;
    char close = 0;
    if (Ch(j) == '{' || Ch(j) == '(') {
      close = Ch(j) == '{' ? '}' : ')';
      j = SkipBlanks(j + 1);
    }
    bool negative = false;
    j += SignAt(j, &negative);
    const size_t digits = j;
    while (IsDigit(Ch(j))) ++j;
    if (j == digits) return kNpos;
    if (close != 0) {
      const size_t k = SkipBlanks(j);
      if (Ch(k) != close) return kNpos;
      absl::StrAppend(out, negative ? "-" : "", ToAbsl(s_.substr(digits, j - digits)));
      return k + 1;
    }
    absl::StrAppend(out, negative ? "-" : "", ToAbsl(s_.substr(digits, j - digits)));
    return j;
  }

  // After a '^' that does not belong to a number: skips "{...}" (when closed within 32 bytes)
  // or a signed number.
  size_t SkipExponentOf(size_t i) const {
    if (Ch(i) == '{') {
      for (size_t j = i + 1; j < s_.size() && j < i + 32; ++j) {
        if (s_[j] == '}') return j + 1;
      }
      return i + 1;
    }
    bool negative = false;
    size_t j = i + SignAt(i, &negative);
    while (IsDigit(Ch(j))) ++j;
    if (Ch(j) == '.' && IsDigit(Ch(j + 1))) {
      ++j;
      while (IsDigit(Ch(j))) ++j;
    }
    return j;
  }

  // "{ -1,000.5 }" at i: the value; returns the end or kNpos.
  size_t BracedNumber(size_t i, double* value) const {
    size_t j = SkipBlanks(i);
    if (Ch(j) != '{') return kNpos;
    j = SkipBlanks(j + 1);
    bool negative = false;
    j += SignAt(j, &negative);
    std::string digits;
    j = Decimal(j, /*thousands=*/true, &digits);
    if (j == kNpos) return kNpos;
    j = SkipBlanks(j);
    if (Ch(j) != '}') return kNpos;
    if (!absl::SimpleAtod(digits, value)) return kNpos;
    if (negative) *value = -*value;
    return j + 1;
  }

  // "%" or "\%" (after optional blanks) at i: its end, else i.
  size_t SkipPercent(size_t i) const {
    const size_t j = SkipBlanks(i);
    if (Ch(j) == '%') return j + 1;
    if (At(j, "\\%")) return j + 2;
    return i;
  }

  // A "× 10^k" style exponent after a mantissa ending at i: appends k to *exp, returns the end;
  // kNpos if there is none.
  size_t TimesTen(size_t i, std::string* exp) const {
    size_t j = SkipBlanks(i);
    size_t op = 0;
    if (At(j, kTimesSign)) {
      op = kTimesSign.size();
    } else if (At(j, kMiddleDot)) {
      op = kMiddleDot.size();
    } else if (At(j, "\\times")) {
      op = 6;
    } else if (At(j, "\\cdot")) {
      op = 5;
    } else if (Ch(j) == 'x' || Ch(j) == 'X' || Ch(j) == '*') {
      op = 1;
    }
    if (op == 0) return kNpos;
    j = SkipBlanks(j + op);
    if (!At(j, "10") || IsDigit(Ch(j + 2))) return kNpos;
    return PowerOfTen(j + 2, exp);
  }

  // After "10" at i: "^-3", "^{-3}", " ^ (3)", "**3" or superscripts "⁻³". Appends the exponent
  // to *exp; returns the end or kNpos.
  size_t PowerOfTen(size_t i, std::string* exp) const {
    if (const size_t e = Superscript(i, exp); e != kNpos) return e;
    size_t j = SkipBlanks(i);
    if (Ch(j) == '^') {
      ++j;
    } else if (At(j, "**")) {
      j += 2;
    } else {
      return kNpos;
    }
    return Exponent(j, exp);
  }

  // Superscript digits at i, with an optional superscript sign: "⁻³" -> "-3".
  size_t Superscript(size_t i, std::string* exp) const {
    // ⁰ ¹ ² ³ ⁴ ... ⁹ are E2 81 B0, C2 B9, C2 B2, C2 B3, E2 81 B4 ... E2 81 B9; ⁺ ⁻ E2 81 BA/BB.
    std::string out;
    size_t j = i;
    if (At(j, "\xE2\x81\xBB")) {
      out.push_back('-');
      j += 3;
    } else if (At(j, "\xE2\x81\xBA")) {
      j += 3;
    }
    const size_t digits = out.size();
    for (;;) {
      if (At(j, "\xC2\xB9")) {
        out.push_back('1');
        j += 2;
      } else if (At(j, "\xC2\xB2") || At(j, "\xC2\xB3")) {
        out.push_back(s_[j + 1] == '\xB2' ? '2' : '3');
        j += 2;
      } else if (At(j, "\xE2\x81") &&
                 (Ch(j + 2) == '\xB0' || (Ch(j + 2) >= '\xB4' && Ch(j + 2) <= '\xB9'))) {
        out.push_back(static_cast<char>('0' + (Ch(j + 2) - '\xB0')));
        j += 3;
      } else {
        break;
      }
    }
    if (out.size() == digits) return kNpos;
    exp->append(out);
    return j;
  }

  std::optional<Token> ReadAt(size_t i) const {
    size_t j = i;
    bool negative = false;
    if (const size_t sign = SignAt(j, &negative); sign > 0) {
      if (i > 0 && BlocksSign(s_[i - 1])) return std::nullopt;
      j += sign;
    }
    // Currency: "$5", "\$5", "-$5".
    if (Ch(j) == '$' && (IsDigit(Ch(j + 1)) || Ch(j + 1) == '.')) {
      j += 1;
    } else if (At(j, "\\$") && (IsDigit(Ch(j + 2)) || Ch(j + 2) == '.')) {
      j += 2;
    }

    Token t;
    if (At(j, "\\frac") || At(j, "\\dfrac") || At(j, "\\tfrac")) {
      double num = 0;
      double den = 0;
      size_t k = BracedNumber(j + (Ch(j + 1) == 'f' ? 5 : 6), &num);
      if (k == kNpos) return std::nullopt;
      k = BracedNumber(k, &den);
      if (k == kNpos) return std::nullopt;
      t.end = SkipPercent(k);
      t.value = (negative ? -num : num) / den;
      t.valid = den != 0 && std::isfinite(t.value);
      return t;
    }

    std::string mantissa;
    size_t k = Decimal(j, /*thousands=*/true, &mantissa);
    if (k == kNpos) return std::nullopt;
    std::string exp;
    if (Ch(k) == 'e' || Ch(k) == 'E') {  // 1.2e-3
      bool exp_negative = false;
      size_t e = k + 1;
      e += SignAt(e, &exp_negative);
      const size_t digits = e;
      while (IsDigit(Ch(e))) ++e;
      if (e > digits) {
        absl::StrAppend(&exp, exp_negative ? "-" : "", ToAbsl(s_.substr(digits, e - digits)));
        k = e;
      }
    }
    if (exp.empty()) {  // 1.2 × 10^-3
      if (const size_t e = TimesTen(k, &exp); e != kNpos) k = e;
    }
    if (exp.empty() && mantissa == "10") {  // a bare 10^-3
      if (const size_t e = PowerOfTen(k, &exp); e != kNpos) {
        mantissa.assign(1, '1');
        k = e;
      }
    }
    bool fraction = false;
    std::string denominator;
    if (exp.empty() && Ch(k) == '/' &&
        (IsDigit(Ch(k + 1)) || (Ch(k + 1) == '.' && IsDigit(Ch(k + 2))))) {  // 3/4
      k = Decimal(k + 1, /*thousands=*/false, &denominator);
      fraction = true;
    }
    t.end = SkipPercent(k);

    if (!exp.empty()) absl::StrAppend(&mantissa, "e", exp);
    double value = 0;
    bool ok = absl::SimpleAtod(mantissa, &value);
    if (fraction) {
      double den = 0;
      ok = ok && absl::SimpleAtod(denominator, &den) && den != 0;
      if (ok) value /= den;
    }
    t.value = negative ? -value : value;
    t.valid = ok && std::isfinite(t.value);
    return t;
  }

  std::string_view s_;
};

// The content of the last "\boxed{...}" / "\fbox{...}" (braces matched, backslash-escaped
// braces skipped; to the end of the text when never closed), or nullopt.
std::optional<std::string_view> LastBox(std::string_view text) {
  size_t best_open = kNpos;
  for (std::string_view command : {std::string_view("\\boxed"), std::string_view("\\fbox")}) {
    size_t pos = kNpos;
    while (true) {
      const size_t b = text.rfind(command, pos);
      if (b == kNpos || (best_open != kNpos && b < best_open)) break;
      size_t j = b + command.size();
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (j < text.size() && text[j] == '{') {
        if (best_open == kNpos || j > best_open) best_open = j;
        break;
      }
      if (b == 0) break;
      pos = b - 1;
    }
  }
  if (best_open == kNpos) return std::nullopt;
  int depth = 1;
  size_t k = best_open + 1;
  for (; k < text.size(); ++k) {
    const char c = text[k];
    if (c == '\\') {
      ++k;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      break;
    }
  }
  k = std::min(k, text.size());
  return text.substr(best_open + 1, k - best_open - 1);
}

class NumberExtractor final : public AnswerExtractor {
 public:
  NumberExtractor(double relative_tolerance, double absolute_tolerance, std::unique_ptr<RE2> marker)
      : relative_tolerance_(relative_tolerance),
        absolute_tolerance_(absolute_tolerance),
        marker_(std::move(marker)) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    if (std::optional<std::string_view> box = LastBox(text)) return Answer(FirstNumber(*box));
    if (std::optional<double> v = AfterLastMarker(text)) return Answer(v);
    return Answer(LastNumber(text));
  }

  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    const std::string_view region = LastBox(reference).value_or(reference);
    std::optional<double> v = FirstNumber(region);
    if (!v) {
      return absl::InvalidArgumentError(absl::StrCat("no number in ", QuoteForError(reference)));
    }
    return CanonicalNumber(*v);
  }

  bool Matches(std::string_view answer, std::string_view reference) const override {
    double a = 0;
    double r = 0;
    if (!absl::SimpleAtod(ToAbsl(answer), &a) || !absl::SimpleAtod(ToAbsl(reference), &r)) {
      return false;
    }
    const double tolerance = std::max(absolute_tolerance_, relative_tolerance_ * std::fabs(r));
    return std::fabs(a - r) <= tolerance;
  }

 private:
  static ExtractedAnswer Answer(std::optional<double> v) {
    if (!v) return {};
    return {true, CanonicalNumber(*v)};
  }

  // The first number after the last marker that is followed by one, looking from the marker to
  // the end of its line or the next marker, whichever comes first. The regions are disjoint, so
  // this is linear.
  std::optional<double> AfterLastMarker(std::string_view text) const {
    const re2::StringPiece input(text.data(), text.size());
    std::optional<double> found;
    size_t region_begin = kNpos;
    auto consider = [&](size_t end) {
      if (region_begin == kNpos) return;
      const void* nl = std::memchr(text.data() + region_begin, '\n', end - region_begin);
      if (nl != nullptr) end = static_cast<const char*>(nl) - text.data();
      if (std::optional<double> v = FirstNumber(text.substr(region_begin, end - region_begin))) {
        found = v;
      }
    };
    re2::StringPiece m;
    size_t pos = 0;
    while (pos < input.size() && marker_->Match(input, pos, input.size(), RE2::UNANCHORED, &m, 1)) {
      const size_t begin = static_cast<size_t>(m.data() - input.data());
      consider(begin);
      region_begin = begin + m.size();
      pos = std::max(region_begin, begin + 1);
    }
    consider(text.size());
    return found;
  }

  const double relative_tolerance_;
  const double absolute_tolerance_;
  const std::unique_ptr<RE2> marker_;
};

absl::Status CheckTolerance(std::string_view field, double value) {
  if (value >= 0 && std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("answer_format.number.", ToAbsl(field),
                                                 ": must be a finite number >= 0, got ", value));
}

}  // namespace

std::optional<double> FirstNumber(std::string_view text) {
  std::optional<double> first;
  NumberReader(text).ForEach([&](double v) {
    first = v;
    return false;
  });
  return first;
}

std::optional<double> LastNumber(std::string_view text) {
  std::optional<double> last;
  NumberReader(text).ForEach([&](double v) {
    last = v;
    return true;
  });
  return last;
}

std::string CanonicalNumber(double value) {
  if (value == 0) return "0";  // also -0
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.12g", value);
  std::string_view s = buf;
  const size_t e = s.find('e');
  if (e == kNpos) return std::string(s);
  std::string_view exp = s.substr(e + 1);
  const bool negative = !exp.empty() && exp[0] == '-';
  if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
  while (exp.size() > 1 && exp[0] == '0') exp.remove_prefix(1);
  return absl::StrCat(ToAbsl(s.substr(0, e)), "e", negative ? "-" : "", ToAbsl(exp));
}

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateNumberExtractor(
    const v1::AnswerFormat::Number& format) {
  if (absl::Status s = CheckTolerance("relative_tolerance", format.relative_tolerance()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckTolerance("absolute_tolerance", format.absolute_tolerance()); !s.ok()) {
    return s;
  }
  double relative = format.relative_tolerance();
  const double absolute = format.absolute_tolerance();
  if (relative == 0 && absolute == 0) relative = kDefaultRelativeTolerance;

  auto marker = CompileFixedPattern(
      R"((?i)answer(?:\*\*)?(?:[ \t]*(?:\*\*)?[ \t]*[:=]|[ \t]+is\b)(?:\*\*)?)");
  if (!marker->ok()) {
    return absl::InternalError(absl::StrCat("number marker does not compile: ", marker->error()));
  }
  return std::make_unique<NumberExtractor>(relative, absolute, std::move(marker));
}

}  // namespace ptc::extract_internal
