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
//  - Instruction records, which may be mixed with the questions of a multiple-choice JSONL file
//    (IFEval-style format-constrained instructions, graded by checking the constraints):
//      {"id": "if-1", "kind": "instruction", "instruction": "Describe how a rainbow forms.",
//       "constraints": [{"lowercase": true}, {"max_words": 40}, {"end_with": "that is all."}]}
//    Each constraint is an object with one key, named as a field of the proto's
//    AnswerFormat.Constraints.Constraint: "lowercase": true, "max_words": N, "min_words": N
//    (N a positive integer), "end_with" / "start_with" / "include_keyword": a non-empty string of
//    at most 256 bytes, "no_commas": true. 1 to 32 constraints. "kind" may also be "question"
//    (the default).
// Choices are shuffled by a seed; the simple-evals prompt is the default template.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ptc {

// One checkable constraint of an instruction item (AnswerFormat.Constraints.Constraint).
struct InstructionConstraint {
  enum class Kind {
    kLowercase,
    kMaxWords,
    kMinWords,
    kEndWith,
    kStartWith,
    kNoCommas,
    kIncludeKeyword
  };
  Kind kind = Kind::kLowercase;
  uint32_t count = 0;  // max_words, min_words
  std::string text;    // end_with, start_with, include_keyword
};

inline constexpr size_t kMaxInstructionConstraints = 32;
inline constexpr size_t kMaxConstraintTextBytes = 256;

struct McqQuestion {
  // A question (multiple choice, or numeric when `numeric` is set), or an instruction item: then
  // `question` holds the instruction, `constraints` its checks (1 to 32), and there is no correct
  // or incorrect answer.
  enum class Kind { kQuestion, kInstruction };
  std::string id;
  std::string question;
  std::string correct_answer;
  std::vector<std::string> incorrect_answers;  // 1 to 25 of them
  std::string subdomain;
  std::string domain;
  // Set for a numeric-answer question (then correct_answer is that number as text and there are
  // no incorrect answers): graded with AnswerFormat.number, not multiple choice.
  bool numeric = false;
  Kind kind = Kind::kQuestion;
  std::vector<InstructionConstraint> constraints = {};  // instruction items only

  bool instruction() const { return kind == Kind::kInstruction; }
};

// Reads a multiple-choice JSONL dataset (either schema above, and instruction records). Errors
// name the file, the line and the field (e.g. `constraints[2].end_with`); nothing is dropped
// silently. Ids must be unique; a missing id is "line-L".
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

// Writes questions (multiple choice and instruction items; numeric ones are skipped) as
// GPQA-style JSONL, the format the simulated model reads.
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
// always gives the same order. A numeric question has empty letters and correct_letter 0. An
// instruction item ignores the template and the seed: its text is FormatInstructionPrompt, with
// empty letters and correct_letter 0.
McqPrompt FormatMcqPrompt(const McqQuestion& q, uint64_t shuffle_seed,
                          const std::string& tmpl = "");

// Whether `text` satisfies the constraint. Linear in the text; accepts invalid UTF-8.
//  - lowercase: no upper-case letter: ASCII A-Z, and the upper-case letters of Latin-1,
//    Latin Extended-A, Greek and Cyrillic (decoded from UTF-8; other bytes pass);
//  - max_words / min_words: words are maximal runs of non-whitespace (ASCII whitespace);
//  - start_with / end_with: the text, trimmed, starts / ends with the phrase, trimmed; ASCII
//    case-insensitive, whitespace runs in either compare as one space;
//  - no_commas: no ',' (nor the full-width U+FF0C);
//  - include_keyword: the keyword (trimmed) occurs, ASCII case-insensitive, as a whole word:
//    neither neighbour is an ASCII letter or digit, '_' or a byte >= 0x80.
bool SatisfiesConstraint(const InstructionConstraint& c, std::string_view text);

// Words of a text as max_words / min_words count them.
size_t CountWords(std::string_view text);

// A constraint in English, e.g. "Use at most 40 words." or
// "End your response with the exact phrase \"that is all.\"" (quoted texts end the line).
std::string DescribeConstraint(const InstructionConstraint& c);

// An instruction item's prompt: the instruction, a blank line, then its constraints in English,
// one per line.
std::string FormatInstructionPrompt(const McqQuestion& q);

// The path of the bundled GPQA-style sample (bench/data/gpqa_sample.jsonl), found next to the
// sources of this build, or installed data; empty if neither exists.
std::string DefaultSampleDatasetPath();

}  // namespace ptc
