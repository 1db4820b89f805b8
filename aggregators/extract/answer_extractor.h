// Reads the final answer out of a chain's visible text, per the request's AnswerFormat, and
// normalises it so that equal answers compare equal as strings (the tally's key).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc {

struct ExtractedAnswer {
  bool parseable = false;
  std::string value;  // normalised; empty when not parseable
};

// Immutable after Create; Extract and Matches are thread-safe.
class AnswerExtractor {
 public:
  virtual ~AnswerExtractor() = default;

  // Builds the extractor for a format; an unset format means multiple choice over "ABCD".
  // Errors are INVALID_ARGUMENT naming the field (e.g. "answer_format.regex.pattern: ...").
  static absl::StatusOr<std::unique_ptr<AnswerExtractor>> Create(const v1::AnswerFormat& format);

  // The answer in `text`, or not parseable. Never fails otherwise; linear in the text's length.
  virtual ExtractedAnswer Extract(std::string_view text) const = 0;

  // Normalises a reference answer as given by a user (e.g. "b", "1,000", " Paris ").
  // INVALID_ARGUMENT when the reference is not a valid answer of this format.
  virtual absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const = 0;

  // Whether a normalised answer counts as the normalised reference (numbers: within tolerance).
  virtual bool Matches(std::string_view answer, std::string_view reference) const = 0;
};

}  // namespace ptc
