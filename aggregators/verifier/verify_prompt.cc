#include "aggregators/verifier/verify_prompt.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "re2/re2.h"

namespace ptc {
namespace {

constexpr std::string_view kInstructions =
    "You are checking a proposed answer to the question below. Judge from the question itself "
    "whether the proposed answer is correct; the reasoning that led to it is given as evidence "
    "and may be wrong.\n\n";
constexpr std::string_view kEvidenceBegin = "\n\n=== Reasoning that led to it ===\n";
constexpr std::string_view kEvidenceEnd = "\n=== End of reasoning ===\n\n";
constexpr std::string_view kClosing =
    "Think it through, then end your reply with a line of the form \"Score: P\", where P is your "
    "probability, from 0 to 1, that the proposed answer is correct.";
constexpr std::string_view kCutMark = "... ";

bool Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The first at most `max` bytes of s, not ending inside a UTF-8 sequence.
std::string_view Head(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && Continuation(s[end])) --end;
  return s.substr(0, end);
}

// The last at most `max` bytes of s, not starting inside a UTF-8 sequence.
std::string_view Tail(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t start = s.size() - max;
  while (start < s.size() && Continuation(s[start])) ++start;
  return s.substr(start);
}

const RE2& ScorePattern() {
  static const RE2* re = [] {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);  // any bytes, matched one by one
    o.set_case_sensitive(false);
    o.set_log_errors(false);
    return new RE2(
        // A key not preceded by a letter or digit ('_' may be Markdown emphasis), ':' or '=',
        // then a number with an optional unit, or a verdict word.
        R"((?:^|[^a-z0-9])(?:)"
        R"((?:score|probability|confidence|p\(correct\))[*_ \t]*[:=][*_ \t]*)"
        R"((\d*\.?\d+(?:e[-+]?\d+)?)[ \t]*(%|/[ \t]*\d*\.?\d+)?)"
        R"(|(?:verdict|correct)[*_ \t]*[:=][*_ \t]*(yes|no|true|false|correct|incorrect)\b))",
        o);
  }();
  return *re;
}

// One match of ScorePattern as a score in [0, 1], or none.
std::optional<double> ToScore(const std::string& number, const std::string& unit,
                              const std::string& verdict) {
  if (!verdict.empty()) {
    const char c = verdict[0] | 0x20;  // ASCII lower case
    return c == 'y' || c == 't' || c == 'c' ? 1.0 : 0.0;
  }
  double x = 0;
  if (!absl::SimpleAtod(number, &x) || !std::isfinite(x) || x < 0) return std::nullopt;
  if (unit == "%") {
    if (x > 100) return std::nullopt;
    return x / 100;
  }
  if (!unit.empty()) {  // "/ d"
    double d = 0;
    std::string_view den = unit;
    den.remove_prefix(1);
    while (!den.empty() && (den.front() == ' ' || den.front() == '\t')) den.remove_prefix(1);
    if (!absl::SimpleAtod(absl::string_view(den.data(), den.size()), &d) || !std::isfinite(d) ||
        !(d > 0) || x > d)
      return std::nullopt;
    return x / d;
  }
  if (x <= 1) return x;
  if (x <= 10) return x / 10;
  if (x <= 100) return x / 100;
  return std::nullopt;
}

}  // namespace

std::string BuildVerifyPrompt(std::string_view question, std::string_view answer,
                              std::string_view evidence) {
  std::string out;
  for (std::string_view part :
       {kInstructions, kVerifyQuestionBegin, question, kVerifyQuestionEnd, std::string_view("\n\n"),
        kVerifyAnswerBegin, Head(answer, kMaxVerifyAnswerBytes), kVerifyAnswerEnd, kEvidenceBegin,
        evidence, kEvidenceEnd, kClosing}) {
    out.append(part);
  }
  return out;
}

size_t MaxVerifyPromptBytes(size_t question_bytes, size_t evidence_bytes) {
  return BuildVerifyPrompt("", "", "").size() + question_bytes + kMaxVerifyAnswerBytes +
         evidence_bytes;
}

std::string EvidenceTail(std::string_view reasoning, std::string_view text, size_t max_bytes) {
  std::string all(reasoning);
  if (!all.empty()) all.append("\n\n");
  all.append(text);
  if (all.size() <= max_bytes) return all;
  if (max_bytes <= kCutMark.size()) return std::string(Tail(all, max_bytes));
  std::string out(kCutMark);
  out.append(Tail(all, max_bytes - kCutMark.size()));
  return out;
}

std::optional<double> ParseVerifierScore(std::string_view reply) {
  const RE2& re = ScorePattern();
  re2::StringPiece input(reply.data(), reply.size());
  std::string number, unit, verdict;
  std::optional<std::optional<double>> last;
  while (RE2::FindAndConsume(&input, re, &number, &unit, &verdict)) {
    last = ToScore(number, unit, verdict);
  }
  return last.value_or(std::nullopt);
}

}  // namespace ptc
