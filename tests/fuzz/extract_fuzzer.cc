// Fuzzes answer extraction (aggregators/extract/): the input is one chain's visible text, read by
// every answer format (multiple choice, number, exact text, and regex with fixed patterns).
//
// Invariants checked (answer_extractor.h and each format's header):
//  - Extract never fails: a value iff parseable;
//  - the value is a valid reference of its own format that matches itself (NormalizeReference
//    accepts it, Matches(value, NormalizeReference(value)));
//  - multiple choice: one upper-case letter of the allowed set;
//  - number: the canonical string of a finite number (CanonicalNumber of its own value);
//  - exact text: already normalised (NormalizeFreeText leaves it unchanged);
//  - regex: trimmed; and on a text with fewer than 128 matches (where regex.h's first, bounded
//    scan reaches the end), the same answer as a plain findall scan.
// Linear time is checked by libFuzzer's per-input timeout (scripts/fuzz.sh).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "aggregators/extract/answer_extractor.h"
#include "aggregators/extract/number.h"
#include "aggregators/extract/text_util.h"
#include "ptc/v1/orchestrator.pb.h"
#include "re2/re2.h"
#include "tests/aggregators/extract/answer_formats.h"
#include "tests/fuzz/fuzz_check.h"

namespace ptc::fuzz {
namespace {

using extract_internal::CanonicalNumber;
using extract_internal::NormalizeFreeText;
using extract_internal::ToAbsl;
using extract_internal::TrimAsciiWhitespace;

struct Format {
  v1::AnswerFormat proto;
  std::unique_ptr<AnswerExtractor> extractor;
  std::unique_ptr<RE2> regex;  // for regex formats: the same pattern, for the reference scan
};

using testing_formats::ExactText;
using testing_formats::MultipleChoice;
using testing_formats::Number;
using testing_formats::Regex;

std::vector<Format> MakeFormats() {
  std::vector<v1::AnswerFormat> protos = {
      v1::AnswerFormat(),  // unset: multiple choice over ABCD
      MultipleChoice("ABCDEFGHIJ"),
      Number(0, 0),
      Number(0.01, 0.5),
      ExactText(),
      Regex("(?i)answer:\\s*(\\S+)"),
      Regex("\\d+"),
      // Many overlapping candidates: the case the bounded scan of regex.h exists for.
      Regex("(a[^x]*b|a)"),
      // Empty matches.
      Regex("(?m)^(.*)$"),
  };
  std::vector<Format> formats;
  for (v1::AnswerFormat& proto : protos) {
    auto extractor = AnswerExtractor::Create(proto);
    PTC_FUZZ_CHECK(extractor.ok());
    Format f;
    f.extractor = std::move(*extractor);
    if (proto.has_regex()) {
      RE2::Options options;
      options.set_log_errors(false);
      f.regex = std::make_unique<RE2>(proto.regex().pattern(), options);
      PTC_FUZZ_CHECK(f.regex->ok());
    }
    f.proto = std::move(proto);
    formats.push_back(std::move(f));
  }
  return formats;
}

// findall(...)[-1] as regex.h defines it, when the text has fewer than `max_matches` matches:
// each search starts where the previous match ended, one byte further after an empty match. The
// answer is group 1 (empty when it did not take part) or the whole match, trimmed. nullopt when
// there are more matches.
std::optional<std::string> ReferenceScan(const RE2& re, std::string_view text, size_t max_matches) {
  const re2::StringPiece input(text.data(), text.size());
  const int groups = re.NumberOfCapturingGroups() >= 1 ? 2 : 1;
  re2::StringPiece match[2];
  std::string last;
  size_t next = 0;
  for (size_t matches = 0;; ++matches) {
    if (next > input.size() ||
        !re.Match(input, next, input.size(), RE2::UNANCHORED, match, groups)) {
      return last;
    }
    if (matches + 1 == max_matches) return std::nullopt;
    const re2::StringPiece value = match[groups - 1];
    last = value.data() == nullptr
               ? std::string()
               : std::string(TrimAsciiWhitespace(std::string_view(value.data(), value.size())));
    const size_t end = static_cast<size_t>(match[0].data() - input.data()) + match[0].size();
    next = match[0].empty() ? end + 1 : end;
  }
}

void CheckFormat(const Format& f, std::string_view text) {
  const ExtractedAnswer got = f.extractor->Extract(text);
  PTC_FUZZ_CHECK(got.parseable == !got.value.empty());
  if (got.parseable) {
    absl::StatusOr<std::string> reference = f.extractor->NormalizeReference(got.value);
    PTC_FUZZ_CHECK(reference.ok());
    PTC_FUZZ_CHECK(f.extractor->Matches(got.value, *reference));
  }
  switch (f.proto.kind_case()) {
    case v1::AnswerFormat::KIND_NOT_SET:
    case v1::AnswerFormat::kMultipleChoice: {
      if (!got.parseable) break;
      const std::string letters = f.proto.multiple_choice().letters().empty()
                                      ? "ABCD"
                                      : f.proto.multiple_choice().letters();
      PTC_FUZZ_CHECK(got.value.size() == 1);
      PTC_FUZZ_CHECK(letters.find(got.value[0]) != std::string::npos);
      break;
    }
    case v1::AnswerFormat::kNumber: {
      if (!got.parseable) break;
      double v = 0;
      PTC_FUZZ_CHECK(absl::SimpleAtod(ToAbsl(got.value), &v));
      PTC_FUZZ_CHECK(std::isfinite(v));
      PTC_FUZZ_CHECK(CanonicalNumber(v) == got.value);
      break;
    }
    case v1::AnswerFormat::kExactText:
      if (got.parseable) PTC_FUZZ_CHECK(NormalizeFreeText(got.value) == got.value);
      break;
    case v1::AnswerFormat::kFreeText:
    case v1::AnswerFormat::kConstraints:  // not among MakeFormats(): Matches checks constraints
      break;
    case v1::AnswerFormat::kRegex: {
      if (got.parseable) PTC_FUZZ_CHECK(TrimAsciiWhitespace(got.value) == got.value);
      // regex.h's first scan makes at most 128 searches from the start.
      if (std::optional<std::string> want = ReferenceScan(*f.regex, text, 128)) {
        PTC_FUZZ_CHECK(got.value == *want);
      }
      break;
    }
  }
}

}  // namespace
}  // namespace ptc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<ptc::fuzz::Format>* const formats =
      new std::vector<ptc::fuzz::Format>(ptc::fuzz::MakeFormats());
  const std::string_view text = ptc::fuzz::AsText(data, size);
  for (const ptc::fuzz::Format& f : *formats) ptc::fuzz::CheckFormat(f, text);
  return 0;
}
