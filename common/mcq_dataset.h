// Evaluation datasets and the prompts built from them.
//
// Formats (LoadDataset picks one by the file's extension and first record):
//  - GPQA-style JSONL, one question per line:
//      {"id": "...", "question": "...", "correct_answer": "...",
//       "incorrect_answers": ["...", "...", "..."], "subdomain": "...", "domain": "..."}
//    or with the choices listed: {"id": "...", "question": "...", "choices": ["...", ...],
//    "answer": "B" | 1 | "the correct choice's text"} (a letter, a 0-based index, or the text).
//  - The GPQA CSV as distributed (LoadGpqaCsv): columns "Question", "Correct Answer",
//    "Incorrect Answer 1".."Incorrect Answer 3", optional "Record ID", "Subdomain",
//    "High-level domain"; other columns are ignored.
//  - Numeric-answer JSONL, GSM8K/MATH style (LoadNumericJsonl): {"id": "...", "question": "...",
//    "answer": 42 | "42" | "... #### 42"}; graded as a number.
// Choices are shuffled by a seed; the simple-evals prompt is the default template.
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
  // Set for a numeric-answer question (then correct_answer is that number as text and there are
  // no incorrect answers): graded with AnswerFormat.number, not multiple choice.
  bool numeric = false;
};

// Reads a multiple-choice JSONL dataset (either schema above). Errors name the file, the line and
// the field; nothing is dropped silently. Ids must be unique; a missing id is "line-L".
absl::StatusOr<std::vector<McqQuestion>> LoadMcqJsonl(const std::string& path);

// Reads the GPQA CSV. Errors name the file, the line and the column.
absl::StatusOr<std::vector<McqQuestion>> LoadGpqaCsv(const std::string& path);

// Reads a numeric-answer JSONL dataset (questions with numeric = true).
absl::StatusOr<std::vector<McqQuestion>> LoadNumericJsonl(const std::string& path);

// Picks the reader: ".csv" is the GPQA CSV; JSONL whose first record has "incorrect_answers" or
// "choices" is multiple choice, else numeric. `format` may force one: "gpqa-csv", "mcq-jsonl",
// "numeric-jsonl"; "" or "auto" = by the file.
absl::StatusOr<std::vector<McqQuestion>> LoadDataset(const std::string& path,
                                                     const std::string& format = "");

// Writes questions (multiple choice only) as GPQA-style JSONL, the format the simulated model
// reads.
absl::Status WriteMcqJsonl(const std::vector<McqQuestion>& questions, const std::string& path);

// A question as shown to a model: choices in a seeded order.
struct McqPrompt {
  std::string text;     // the simple-evals prompt
  std::string letters;  // "ABCD" for four choices
  char correct_letter = 'A';
  // choice_source[i] is -1 if letters[i] holds the correct answer, else the index into
  // incorrect_answers.
  std::vector<int> choice_source;
};

// The default templates. Placeholders: {question}, {choices} ("A) ...\nB) ..." in the shuffled
// order), {letters} ("ABCD"); numeric templates only {question}.
inline constexpr char kSimpleEvalsMcqTemplate[] =
    "Answer the following multiple choice question. The last line of your response should be of "
    "the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of {letters}. "
    "Think step by step before answering.\n\n{question}\n\n{choices}";
inline constexpr char kNumericTemplate[] =
    "Solve the following problem step by step. The last line of your response should be of the "
    "following format: 'Answer: $NUMBER' (without quotes) where NUMBER is the final numeric "
    "answer.\n\n{question}";

// Checks a template: only known placeholders; a multiple-choice template must have {question}
// and {choices}. INVALID_ARGUMENT naming the placeholder.
absl::Status ValidatePromptTemplate(const std::string& tmpl, bool numeric);

// Builds the prompt from `tmpl` (empty = the default for the question's kind). For a multiple-
// choice question the choices are shuffled by `shuffle_seed`: the same (question, shuffle_seed)
// always gives the same order. A numeric question has empty letters and correct_letter 0.
McqPrompt FormatMcqPrompt(const McqQuestion& q, uint64_t shuffle_seed,
                          const std::string& tmpl = "");

// The path of the bundled GPQA-style sample (bench/data/gpqa_sample.jsonl), found next to the
// sources of this build, or installed data; empty if neither exists.
std::string DefaultSampleDatasetPath();

}  // namespace ptc
