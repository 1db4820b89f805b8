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

// Merges answers that count as one candidate although their normalised strings differ (the
// free-text format: overlapping word sets). Stateful: feed every answer in plan order, so that
// the grouping does not depend on the order in which chains finish. Not thread-safe.
class AnswerGrouper {
 public:
  virtual ~AnswerGrouper() = default;
  // The candidate `answer` (a value from Extract) counts as: the answer of the earliest group it
  // joins, or itself when it starts a new group.
  virtual std::string Assign(std::string_view answer) = 0;
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

  // A new grouper for one request's answers, or null when equal strings are the only equal
  // answers (every format but free text).
  virtual std::unique_ptr<AnswerGrouper> NewGrouper() const { return nullptr; }
};

}  // namespace ptc
