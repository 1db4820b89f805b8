#include "aggregators/extract/constraints.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/text_util.h"

namespace ptc {
namespace {

using Kind = InstructionConstraint::Kind;
using ProtoConstraint = v1::AnswerFormat::Constraints::Constraint;

absl::Status Invalid(size_t index, std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("answer_format.constraints.constraints[", index, "]", field.empty() ? "" : ".",
                   extract_internal::ToAbsl(field), ": ", extract_internal::ToAbsl(why)));
}

absl::StatusOr<std::string> CheckPhrase(size_t index, std::string_view field,
                                        const std::string& text) {
  if (absl::StripAsciiWhitespace(text).empty()) return Invalid(index, field, "must not be empty");
  if (text.size() > kMaxConstraintTextBytes) {
    return Invalid(index, field,
                   absl::StrCat("must be at most ", kMaxConstraintTextBytes, " bytes"));
  }
  return text;
}

class ConstraintsExtractor final : public AnswerExtractor {
 public:
  explicit ConstraintsExtractor(std::vector<InstructionConstraint> constraints)
      : constraints_(std::move(constraints)) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    ExtractedAnswer a;
    a.value = extract_internal::NormalizeWhitespace(text);
    a.parseable = !a.value.empty();
    return a;
  }

  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    std::string value = extract_internal::NormalizeWhitespace(reference);
    if (value.empty()) {
      return absl::InvalidArgumentError(
          "is empty (any non-empty reference asks for grading by the constraints)");
    }
    return value;
  }

  bool Matches(std::string_view answer, std::string_view /*reference*/) const override {
    return !answer.empty() && SatisfiesAll(constraints_, answer);
  }

 private:
  const std::vector<InstructionConstraint> constraints_;
};

}  // namespace

absl::StatusOr<std::vector<InstructionConstraint>> ConstraintsFromProto(
    const v1::AnswerFormat::Constraints& format) {
  if (format.constraints().empty()) {
    return absl::InvalidArgumentError(
        "answer_format.constraints.constraints: at least one constraint is required");
  }
  if (static_cast<size_t>(format.constraints_size()) > kMaxInstructionConstraints) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer_format.constraints.constraints: at most ", kMaxInstructionConstraints,
                     " constraints (got ", format.constraints_size(), ")"));
  }
  std::vector<InstructionConstraint> out;
  for (int i = 0; i < format.constraints_size(); ++i) {
    const ProtoConstraint& p = format.constraints(i);
    const size_t index = static_cast<size_t>(i);
    InstructionConstraint c;
    switch (p.check_case()) {
      case ProtoConstraint::kLowercase:
        if (!p.lowercase()) return Invalid(index, "lowercase", "must be true");
        c.kind = Kind::kLowercase;
        break;
      case ProtoConstraint::kNoCommas:
        if (!p.no_commas()) return Invalid(index, "no_commas", "must be true");
        c.kind = Kind::kNoCommas;
        break;
      case ProtoConstraint::kMaxWords:
        if (p.max_words() < 1) return Invalid(index, "max_words", "must be at least 1");
        c.kind = Kind::kMaxWords;
        c.count = p.max_words();
        break;
      case ProtoConstraint::kMinWords:
        if (p.min_words() < 1) return Invalid(index, "min_words", "must be at least 1");
        c.kind = Kind::kMinWords;
        c.count = p.min_words();
        break;
      case ProtoConstraint::kEndWith: {
        c.kind = Kind::kEndWith;
        auto text = CheckPhrase(index, "end_with", p.end_with());
        if (!text.ok()) return text.status();
        c.text = *std::move(text);
        break;
      }
      case ProtoConstraint::kStartWith: {
        c.kind = Kind::kStartWith;
        auto text = CheckPhrase(index, "start_with", p.start_with());
        if (!text.ok()) return text.status();
        c.text = *std::move(text);
        break;
      }
      case ProtoConstraint::kIncludeKeyword: {
        c.kind = Kind::kIncludeKeyword;
        auto text = CheckPhrase(index, "include_keyword", p.include_keyword());
        if (!text.ok()) return text.status();
        c.text = *std::move(text);
        break;
      }
      case ProtoConstraint::CHECK_NOT_SET:
        return Invalid(index, "",
                       "no check set (one of lowercase, max_words, min_words, end_with, "
                       "start_with, no_commas, include_keyword)");
    }
    out.push_back(std::move(c));
  }
  return out;
}

v1::AnswerFormat InstructionAnswerFormat(const McqQuestion& item) {
  v1::AnswerFormat format;
  v1::AnswerFormat::Constraints* cs = format.mutable_constraints();
  for (const InstructionConstraint& c : item.constraints) {
    ProtoConstraint* p = cs->add_constraints();
    switch (c.kind) {
      case Kind::kLowercase:
        p->set_lowercase(true);
        break;
      case Kind::kMaxWords:
        p->set_max_words(c.count);
        break;
      case Kind::kMinWords:
        p->set_min_words(c.count);
        break;
      case Kind::kEndWith:
        p->set_end_with(c.text);
        break;
      case Kind::kStartWith:
        p->set_start_with(c.text);
        break;
      case Kind::kNoCommas:
        p->set_no_commas(true);
        break;
      case Kind::kIncludeKeyword:
        p->set_include_keyword(c.text);
        break;
    }
  }
  return format;
}

bool SatisfiesAll(const std::vector<InstructionConstraint>& constraints, std::string_view text) {
  for (const InstructionConstraint& c : constraints) {
    if (!SatisfiesConstraint(c, text)) return false;
  }
  return true;
}

namespace extract_internal {

std::string NormalizeWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateConstraintsExtractor(
    const v1::AnswerFormat::Constraints& format) {
  auto constraints = ConstraintsFromProto(format);
  if (!constraints.ok()) return constraints.status();
  return std::make_unique<ConstraintsExtractor>(*std::move(constraints));
}

}  // namespace extract_internal
}  // namespace ptc
