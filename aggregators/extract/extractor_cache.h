// Extractors shared between requests: one per distinct AnswerFormat. Building an extractor compiles
// its RE2 patterns (about 0.1 ms), which was the largest single cost of a one-chain request;
// extractors are immutable and thread-safe, so requests with the same format can share one.
//
// Bounded: past kMaxFormats distinct formats (requests may bring their own regex patterns) the
// cache starts over, so it never holds more than that. Errors are not cached. Thread-safe.
#pragma once

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "aggregators/extract/answer_extractor.h"

namespace ptc {

inline constexpr size_t kMaxCachedAnswerFormats = 256;

// AnswerExtractor::Create(format), built once per distinct format.
absl::StatusOr<std::shared_ptr<const AnswerExtractor>> SharedAnswerExtractor(
    const v1::AnswerFormat& format);

}  // namespace ptc
