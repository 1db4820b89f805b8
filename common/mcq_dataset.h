// GPQA-style multiple-choice datasets: one question per JSONL line,
//   {"id": "...", "question": "...", "correct_answer": "...",
//    "incorrect_answers": ["...", "...", "..."], "subdomain": "...", "domain": "..."}
// and the simple-evals prompt built from them, with choices shuffled by a seed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ptc {

struct McqQuestion {
  std::string id;
  std::string question;
  std::string correct_answer;
  std::vector<std::string> incorrect_answers;  // 1 to 25 of them
  std::string subdomain;
  std::string domain;
};

// Reads a JSONL dataset. Errors name the file, the line and the field. Ids must be unique.
absl::StatusOr<std::vector<McqQuestion>> LoadMcqJsonl(const std::string& path);

// A question as shown to a model: choices in a seeded order.
struct McqPrompt {
  std::string text;     // the simple-evals prompt
  std::string letters;  // "ABCD" for four choices
  char correct_letter = 'A';
  // choice_source[i] is -1 if letters[i] holds the correct answer, else the index into
  // incorrect_answers.
  std::vector<int> choice_source;
};

// Builds the simple-evals prompt: "Answer the following multiple choice question. ..." then the
// question and "A) ... B) ...". The same (question, shuffle_seed) always gives the same order.
McqPrompt FormatMcqPrompt(const McqQuestion& q, uint64_t shuffle_seed);

// The path of the bundled GPQA-style sample (bench/data/gpqa_sample.jsonl), found next to the
// sources of this build, or installed data; empty if neither exists.
std::string DefaultSampleDatasetPath();

}  // namespace ptc
