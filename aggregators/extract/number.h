// Numeric answers.
//
// Format: AnswerFormat.number {relative_tolerance, absolute_tolerance}; both must be finite and
// >= 0 (else INVALID_ARGUMENT naming the field). When both are 0 a relative tolerance of 1e-9
// applies, so that "0.1 + 0.2" style rounding still compares equal.
//
// Extract, in this order:
//  1. the last `\boxed{...}` (or `\fbox{...}`), braces matched (to the end of the text when the
//     box is never closed): the first number inside it. The last box decides: a box without a
//     number ("\boxed{\text{none}}") makes the chain not parseable.
//  2. else the answer markers "answer:", "answer =", "answer is" (any case, also with markdown
//     bold, "Final answer:", "The answer is"): the first number after the last marker that has
//     one, looking from the marker to the end of its line or to the next marker.
//  3. else the last number in the text.
// A number is:
//   [sign] [$ or \$] mantissa [exponent] [%], or [sign] \frac{a}{b} (also \dfrac, \tfrac), or
//   mantissa/mantissa ("3/4").
//   sign: '+', '-' or U+2212 '−', counted as a sign only when not right after a letter, digit,
//     '_', ')', ']' or '}' ("3-5" is 3 and 5; "x = -5" is -5).
//   mantissa: digits with optional thousands groups ("1,234,567", "1{,}000", "1\,000": exactly
//     three digits per group, so "1,2" is 1 then 2 and "1,2345" is 1 then 2345), optional decimals
//     (".5", "5." is 5); digits right after a letter belong to a word and are skipped ("CO2").
//   exponent: "e-3"/"E+3" right after the mantissa, or "× 10^-3", "\times 10^{-3}", "\cdot 10^3",
//     "x 10^3", "* 10^3", "· 10^3"; a bare "10^{-3}" is 1e-3. Numbers that are exponents of
//     something else ("m/s^2", "x^{10}") are skipped.
//   "%" / "\%" after a number is dropped: "45%" is 45. Units after a number are ignored
//     ("12 m/s" is 12). "$...$" around a number is ignored.
//   Non-finite values (overflow, x/0) are not numbers.
// The normalised value is a canonical decimal string: printf "%.12g" with the exponent written
// without '+' and leading zeros, and no "-0": "3/4" and ".75" -> "0.75"; "1,000" and "1e3" ->
// "1000"; "-\frac{1}{2}" -> "-0.5"; 1e15 -> "1e15"; 1.2e-5 -> "1.2e-5".
//
// NormalizeReference: the same number reader on the whole reference — the first number in the
// last \boxed{} if there is one, else the first number in the string ("1,000", "3/4 m",
// "-\frac{1}{2}"); INVALID_ARGUMENT when there is none.
// Matches: |answer - reference| <= max(absolute_tolerance, relative_tolerance * |reference|).
//
// The reader is a hand-written single left-to-right pass (no backtracking); the marker search is
// one RE2 pattern compiled in Create. Extract is linear in the text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::extract_internal {

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateNumberExtractor(
    const v1::AnswerFormat::Number& format);

// The number reader, exposed for tests: the first / last number in `text` as above.
std::optional<double> FirstNumber(std::string_view text);
std::optional<double> LastNumber(std::string_view text);

// The canonical string of a finite value (see above).
std::string CanonicalNumber(double value);

}  // namespace ptc::extract_internal
