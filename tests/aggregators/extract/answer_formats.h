// AnswerFormat messages for tests and fuzzers, one line each.
#pragma once

#include <string>

#include "ptc/v1/orchestrator.pb.h"

namespace ptc::testing_formats {

inline v1::AnswerFormat MultipleChoice(const std::string& letters = "") {
  v1::AnswerFormat f;
  f.mutable_multiple_choice()->set_letters(letters);
  return f;
}

inline v1::AnswerFormat Number(double relative = 0, double absolute = 0) {
  v1::AnswerFormat f;
  f.mutable_number()->set_relative_tolerance(relative);
  f.mutable_number()->set_absolute_tolerance(absolute);
  return f;
}

inline v1::AnswerFormat ExactText() {
  v1::AnswerFormat f;
  f.mutable_exact_text();
  return f;
}

inline v1::AnswerFormat Regex(const std::string& pattern) {
  v1::AnswerFormat f;
  f.mutable_regex()->set_pattern(pattern);
  return f;
}

}  // namespace ptc::testing_formats
