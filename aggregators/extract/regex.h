// Answers read by a caller-given RE2 pattern.
//
// Format: AnswerFormat.regex.pattern, an RE2 pattern (UTF-8; invalid UTF-8 in the text simply
// does not match "."). Empty or not compiling: INVALID_ARGUMENT
// "answer_format.regex.pattern: <RE2's error>".
//
// Extract: the LAST match, as in Python's re.findall(...)[-1]: matches are found left to right,
// each search starting where the previous match ended (one byte further after an empty match).
// The answer is capture group 1 when the pattern has at least one group (empty when group 1 did
// not take part in the match), else the whole match; ASCII whitespace trimmed; empty: not
// parseable.
// NormalizeReference: the reference with ASCII whitespace trimmed; INVALID_ARGUMENT when empty.
// Matches: string equality (after the same trimming).
//
// Cost. The pattern is compiled once in Create. RE2 never backtracks, but one search costs the
// distance to the end of its match plus however far the automaton must look ahead to settle it,
// and for a pattern like "a[^x]*b|a" on a text of 'a's that look-ahead is the rest of the text
// after every match: a plain left-to-right scan is quadratic. So the scan is bounded:
//  - at most 128 searches from the start of the text (the exact findall answer; enough for
//    almost every chain);
//  - past that, one linear pass of "(?s).*(pattern)" finds the match that starts last, and the
//    scan goes on from the latest of: where it stopped, the start of that match's line, 256
//    bytes before that match — at most 258 more searches. The answer is the same as findall's
//    unless a match that began before that point covers the latest-starting one (a > 256-byte
//    token under "\S+", a line longer than 256 bytes under "(?s).+" ...).
// Worst case about 390 searches of the text, whatever its content; ordinary patterns cost a
// few passes.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::extract_internal {

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateRegexExtractor(
    const v1::AnswerFormat::Regex& format);

}  // namespace ptc::extract_internal
