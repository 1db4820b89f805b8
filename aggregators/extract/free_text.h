// Free-form answers, grouped when their words overlap.
//
// Format: AnswerFormat.free_text {min_overlap}; min_overlap in [0, 1], 0 = kDefaultMinOverlap
// (else INVALID_ARGUMENT "answer_format.free_text.min_overlap: ...").
//
// Extract: where the exact-text format looks (the rest of the line after the last "Answer:"
// marker, else the next non-empty line; without a marker the last non-empty line), normalised by
// NormalizeAnswerWords. Empty after normalising: not parseable.
//
// NormalizeAnswerWords: ASCII letters lower-cased (other bytes untouched, so UTF-8 stays valid);
// ASCII punctuation and whitespace, and the Unicode quotes, dashes, ellipsis, guillemets and
// no-break space, separate words ('.' and ',' between two digits stay: "3.5", "1,000"); the
// articles "a", "an" and "the" dropped unless nothing else is left; the words joined by single
// spaces, at most kMaxAnswerBytes (cut before the word that would pass it).
// "  **The Eiffel  Tower!** " -> "eiffel tower".
//
// Grouping (NewGrouper): answers are fed in plan order. An answer equal to one seen before takes
// that answer's group; otherwise it joins the group whose representative (its first answer) has
// the highest Jaccard overlap of word sets with it, if that is at least min_overlap (ties: the
// earlier group), else it starts a group. Comparing with representatives only keeps groups from
// drifting through chains of near neighbours. Cost: one pass over the answer's words, then a
// merge of sorted word hashes per group (a word set has at most kMaxAnswerBytes / 2 words): for
// a request of 256 chains at most 256 x 256 merges of 256-word sets, milliseconds.
//
// NormalizeReference: the same normalisation; INVALID_ARGUMENT when empty. Matches: the
// reference's and the answer's word sets overlap by at least min_overlap (equal strings always
// match).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::extract_internal {

inline constexpr double kDefaultMinOverlap = 0.6;
inline constexpr size_t kMaxAnswerBytes = 512;

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateFreeTextExtractor(
    const v1::AnswerFormat::FreeText& format);

// The normalisation above. Linear in the text; accepts invalid UTF-8.
std::string NormalizeAnswerWords(std::string_view text);

// The sorted, distinct word hashes of a normalised answer.
std::vector<uint64_t> WordSet(std::string_view normalized);

// |a ∩ b| / |a ∪ b| of two WordSets; 1 when both are empty.
double Jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

}  // namespace ptc::extract_internal
