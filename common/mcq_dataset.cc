#include "common/mcq_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/csv_reader.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace ptc {
namespace {

constexpr size_t kMaxIncorrect = 25;

absl::Status LineError(const std::string& path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& j, const char* key,
                                           const std::string& path, int line) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return LineError(path, line, absl::StrCat("field \"", key, "\" must be a non-empty string"));
  }
  return it->get<std::string>();
}

std::string OptionalString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

namespace {

// The choices/answer schema: the correct choice by letter, 0-based index or text.
absl::Status ReadChoices(const nlohmann::json& j, const std::string& path, int line,
                         McqQuestion& q) {
  auto choices = j.find("choices");
  if (!choices->is_array() || choices->size() < 2 || choices->size() > kMaxIncorrect + 1) {
    return LineError(
        path, line,
        absl::StrCat("field \"choices\" must be an array of 2 to ", kMaxIncorrect + 1, " strings"));
  }
  std::vector<std::string> texts;
  for (const auto& c : *choices) {
    if (!c.is_string() || c.get_ref<const std::string&>().empty()) {
      return LineError(path, line, "field \"choices\" holds a non-string or empty entry");
    }
    texts.push_back(c.get<std::string>());
  }
  auto answer = j.find("answer");
  int correct = -1;
  if (answer != j.end() && answer->is_number_integer()) {
    const int64_t index = answer->get<int64_t>();
    if (index >= 0 && index < static_cast<int64_t>(texts.size())) correct = static_cast<int>(index);
  } else if (answer != j.end() && answer->is_string()) {
    const std::string& a = answer->get_ref<const std::string&>();
    if (a.size() == 1 && a[0] >= 'A' && a[0] < 'A' + static_cast<int>(texts.size())) {
      correct = a[0] - 'A';
    } else {
      for (size_t i = 0; i < texts.size(); ++i) {
        if (texts[i] == a) correct = static_cast<int>(i);
      }
    }
  }
  if (correct < 0) {
    return LineError(path, line,
                     "field \"answer\" must be a choice's letter, its 0-based index or its text");
  }
  q.correct_answer = texts[correct];
  for (size_t i = 0; i < texts.size(); ++i) {
    if (static_cast<int>(i) != correct) q.incorrect_answers.push_back(texts[i]);
  }
  return absl::OkStatus();
}

// Calls `each(json, line)` for every non-blank line; errors name the line.
template <typename F>
absl::Status ForEachJsonLine(const std::string& path, F each) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open dataset ", path));
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    if (raw.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return LineError(path, line, "not a JSON object");
    if (absl::Status s = each(j, line); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckUniqueId(std::set<std::string>& ids, const McqQuestion& q,
                           const std::string& path, int line) {
  if (!ids.insert(q.id).second) {
    return LineError(path, line, absl::StrCat("duplicate id \"", q.id, "\""));
  }
  return absl::OkStatus();
}

std::string IdOr(const nlohmann::json& j, int line) {
  std::string id = OptionalString(j, "id");
  return id.empty() ? absl::StrCat("line-", line) : id;
}

using ConstraintKind = InstructionConstraint::Kind;

struct ConstraintKey {
  const char* name;
  ConstraintKind kind;
};
constexpr ConstraintKey kConstraintKeys[] = {
    {"lowercase", ConstraintKind::kLowercase},
    {"max_words", ConstraintKind::kMaxWords},
    {"min_words", ConstraintKind::kMinWords},
    {"end_with", ConstraintKind::kEndWith},
    {"start_with", ConstraintKind::kStartWith},
    {"no_commas", ConstraintKind::kNoCommas},
    {"include_keyword", ConstraintKind::kIncludeKeyword},
};

// The largest word count a constraint may name.
constexpr int64_t kMaxConstraintWords = 100000;

// One constraint object: exactly one known key (see the header).
absl::StatusOr<InstructionConstraint> ReadConstraint(const nlohmann::json& j,
                                                     const std::string& field,
                                                     const std::string& path, int line) {
  if (!j.is_object() || j.size() != 1) {
    return LineError(path, line,
                     absl::StrCat("field \"", field,
                                  "\" must be an object with one key (lowercase, max_words, "
                                  "min_words, end_with, start_with, no_commas, include_keyword)"));
  }
  const std::string& key = j.begin().key();
  const nlohmann::json& value = j.begin().value();
  const std::string name = absl::StrCat(field, ".", key);
  for (const ConstraintKey& k : kConstraintKeys) {
    if (key != k.name) continue;
    InstructionConstraint c;
    c.kind = k.kind;
    switch (k.kind) {
      case ConstraintKind::kLowercase:
      case ConstraintKind::kNoCommas:
        if (!value.is_boolean() || !value.get<bool>()) {
          return LineError(path, line, absl::StrCat("field \"", name, "\" must be true"));
        }
        break;
      case ConstraintKind::kMaxWords:
      case ConstraintKind::kMinWords:
        if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
            value.get<int64_t>() > kMaxConstraintWords) {
          return LineError(path, line,
                           absl::StrCat("field \"", name, "\" must be an integer from 1 to ",
                                        kMaxConstraintWords));
        }
        c.count = static_cast<uint32_t>(value.get<int64_t>());
        break;
      case ConstraintKind::kEndWith:
      case ConstraintKind::kStartWith:
      case ConstraintKind::kIncludeKeyword: {
        const bool ok = value.is_string() &&
                        !absl::StripAsciiWhitespace(value.get_ref<const std::string&>()).empty() &&
                        value.get_ref<const std::string&>().size() <= kMaxConstraintTextBytes;
        if (!ok) {
          return LineError(
              path, line,
              absl::StrCat("field \"", name, "\" must be a non-blank string of at most ",
                           kMaxConstraintTextBytes, " bytes"));
        }
        c.text = value.get<std::string>();
        break;
      }
    }
    return c;
  }
  return LineError(path, line, absl::StrCat("field \"", field, "\" has unknown key \"", key, "\""));
}

// An instruction record (see the header).
absl::Status ReadInstruction(const nlohmann::json& j, const std::string& path, int line,
                             McqQuestion& q) {
  q.kind = McqQuestion::Kind::kInstruction;
  ASSIGN_OR_RETURN(q.question, RequiredString(j, "instruction", path, line));
  auto constraints = j.find("constraints");
  if (constraints == j.end() || !constraints->is_array() || constraints->empty() ||
      constraints->size() > kMaxInstructionConstraints) {
    return LineError(path, line,
                     absl::StrCat("field \"constraints\" must be an array of 1 to ",
                                  kMaxInstructionConstraints, " constraints"));
  }
  for (size_t i = 0; i < constraints->size(); ++i) {
    ASSIGN_OR_RETURN(
        InstructionConstraint c,
        ReadConstraint((*constraints)[i], absl::StrCat("constraints[", i, "]"), path, line));
    q.constraints.push_back(std::move(c));
  }
  for (const char* key : {"question", "correct_answer", "incorrect_answers", "choices", "answer"}) {
    if (j.contains(key)) {
      return LineError(path, line,
                       absl::StrCat("field \"", key, "\" is not allowed in an instruction record"));
    }
  }
  return absl::OkStatus();
}

// The record's "kind": "question" (the default) or "instruction".
absl::StatusOr<McqQuestion::Kind> ReadKind(const nlohmann::json& j, const std::string& path,
                                           int line) {
  auto kind = j.find("kind");
  if (kind == j.end()) return McqQuestion::Kind::kQuestion;
  if (kind->is_string() && kind->get_ref<const std::string&>() == "question") {
    return McqQuestion::Kind::kQuestion;
  }
  if (kind->is_string() && kind->get_ref<const std::string&>() == "instruction") {
    return McqQuestion::Kind::kInstruction;
  }
  return LineError(path, line, "field \"kind\" must be \"question\" or \"instruction\"");
}

}  // namespace

absl::StatusOr<std::vector<McqQuestion>> LoadMcqJsonl(const std::string& path) {
  std::vector<McqQuestion> out;
  std::set<std::string> ids;
  absl::Status s = ForEachJsonLine(path, [&](const nlohmann::json& j, int line) -> absl::Status {
    McqQuestion q;
    q.id = IdOr(j, line);
    ASSIGN_OR_RETURN(const McqQuestion::Kind kind, ReadKind(j, path, line));
    if (kind == McqQuestion::Kind::kInstruction) {
      RETURN_IF_ERROR(ReadInstruction(j, path, line, q));
      RETURN_IF_ERROR(CheckUniqueId(ids, q, path, line));
      out.push_back(std::move(q));
      return absl::OkStatus();
    }
    auto question = RequiredString(j, "question", path, line);
    if (!question.ok()) return question.status();
    q.question = *question;
    if (j.contains("choices")) {
      if (absl::Status c = ReadChoices(j, path, line, q); !c.ok()) return c;
    } else {
      auto correct = RequiredString(j, "correct_answer", path, line);
      if (!correct.ok()) return correct.status();
      q.correct_answer = *correct;
      auto inc = j.find("incorrect_answers");
      if (inc == j.end() || !inc->is_array() || inc->empty() || inc->size() > kMaxIncorrect) {
        return LineError(path, line,
                         absl::StrCat("field \"incorrect_answers\" must be an array of 1 to ",
                                      kMaxIncorrect, " strings"));
      }
      for (const auto& a : *inc) {
        if (!a.is_string() || a.get_ref<const std::string&>().empty()) {
          return LineError(path, line,
                           "field \"incorrect_answers\" holds a non-string or empty entry");
        }
        q.incorrect_answers.push_back(a.get<std::string>());
      }
    }
    q.subdomain = OptionalString(j, "subdomain");
    q.domain = OptionalString(j, "domain");
    if (absl::Status u = CheckUniqueId(ids, q, path, line); !u.ok()) return u;
    out.push_back(std::move(q));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no questions"));
  return out;
}

absl::StatusOr<std::vector<McqQuestion>> LoadGpqaCsv(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<CsvRecord> records, ReadCsvFile(path));
  if (records.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  const CsvRecord& header = records[0];
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    column[std::string(absl::StripAsciiWhitespace(header.fields[i]))] = i;
  }
  const char* required[] = {"Question", "Correct Answer", "Incorrect Answer 1",
                            "Incorrect Answer 2", "Incorrect Answer 3"};
  for (const char* name : required) {
    if (!column.count(name)) {
      return LineError(path, header.line, absl::StrCat("the header has no column \"", name, "\""));
    }
  }
  auto get = [&](const CsvRecord& r, const char* name) -> std::string {
    auto it = column.find(name);
    if (it == column.end() || it->second >= r.fields.size()) return "";
    return std::string(absl::StripAsciiWhitespace(r.fields[it->second]));
  };
  std::vector<McqQuestion> out;
  std::set<std::string> ids;
  for (size_t k = 1; k < records.size(); ++k) {
    const CsvRecord& r = records[k];
    if (r.fields.size() != header.fields.size()) {
      return LineError(
          path, r.line,
          absl::StrCat("the record has ", r.fields.size(), " fields, the header ",
                       header.fields.size(), " (an unquoted comma or line break in a field?)"));
    }
    McqQuestion q;
    for (const char* name : required) {
      if (get(r, name).empty()) {
        return LineError(path, r.line, absl::StrCat("column \"", name, "\" is empty"));
      }
    }
    q.question = get(r, "Question");
    q.correct_answer = get(r, "Correct Answer");
    for (const char* name : {"Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"}) {
      q.incorrect_answers.push_back(get(r, name));
    }
    q.id = get(r, "Record ID");
    if (q.id.empty()) q.id = absl::StrCat("line-", r.line);
    q.subdomain = get(r, "Subdomain");
    q.domain = get(r, "High-level domain");
    if (absl::Status u = CheckUniqueId(ids, q, path, r.line); !u.ok()) return u;
    out.push_back(std::move(q));
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no questions"));
  return out;
}

absl::StatusOr<std::vector<McqQuestion>> LoadNumericJsonl(const std::string& path) {
  std::vector<McqQuestion> out;
  std::set<std::string> ids;
  absl::Status s = ForEachJsonLine(path, [&](const nlohmann::json& j, int line) -> absl::Status {
    McqQuestion q;
    q.numeric = true;
    q.id = IdOr(j, line);
    auto question = RequiredString(j, "question", path, line);
    if (!question.ok()) return question.status();
    q.question = *question;
    auto answer = j.find("answer");
    std::string text;
    if (answer != j.end() && answer->is_number()) {
      text = answer->dump();
    } else if (answer != j.end() && answer->is_string()) {
      text = answer->get<std::string>();
      // GSM8K: the worked solution, then "#### 42".
      const size_t mark = text.rfind("####");
      if (mark != std::string::npos) text = text.substr(mark + 4);
      text = std::string(absl::StripAsciiWhitespace(text));
      absl::StrReplaceAll({{",", ""}}, &text);
    }
    double value = 0;
    if (text.empty() || !absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
      return LineError(path, line,
                       "field \"answer\" must be a number (or a string ending \"#### NUMBER\")");
    }
    q.correct_answer = text;
    if (absl::Status u = CheckUniqueId(ids, q, path, line); !u.ok()) return u;
    out.push_back(std::move(q));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no questions"));
  return out;
}

absl::StatusOr<std::vector<McqQuestion>> LoadDataset(const std::string& path,
                                                     const std::string& format) {
  if (format == "gpqa-csv") return LoadGpqaCsv(path);
  if (format == "mcq-jsonl") return LoadMcqJsonl(path);
  if (format == "numeric-jsonl") return LoadNumericJsonl(path);
  if (!format.empty() && format != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("format \"", format, "\" is not auto, gpqa-csv, mcq-jsonl or numeric-jsonl"));
  }
  if (absl::EndsWithIgnoreCase(path, ".csv")) return LoadGpqaCsv(path);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open dataset ", path));
  std::string raw;
  while (std::getline(in, raw)) {
    if (raw.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && !j.contains("incorrect_answers") && !j.contains("choices") &&
        !j.contains("kind") && j.contains("answer")) {
      return LoadNumericJsonl(path);
    }
    break;
  }
  return LoadMcqJsonl(path);
}

absl::Status WriteMcqJsonl(const std::vector<McqQuestion>& questions, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  for (const McqQuestion& q : questions) {
    if (q.numeric) continue;
    if (q.instruction()) {
      nlohmann::json constraints = nlohmann::json::array();
      for (const InstructionConstraint& c : q.constraints) {
        const char* key = "lowercase";
        for (const ConstraintKey& k : kConstraintKeys) {
          if (k.kind == c.kind) key = k.name;
        }
        nlohmann::json value;
        switch (c.kind) {
          case ConstraintKind::kLowercase:
          case ConstraintKind::kNoCommas:
            value = true;
            break;
          case ConstraintKind::kMaxWords:
          case ConstraintKind::kMinWords:
            value = c.count;
            break;
          case ConstraintKind::kEndWith:
          case ConstraintKind::kStartWith:
          case ConstraintKind::kIncludeKeyword:
            value = c.text;
            break;
        }
        constraints.push_back(nlohmann::json{{key, value}});
      }
      nlohmann::json j = {{"id", q.id},
                          {"kind", "instruction"},
                          {"instruction", q.question},
                          {"constraints", constraints}};
      out << j.dump() << "\n";
      continue;
    }
    nlohmann::json j = {{"id", q.id},
                        {"question", q.question},
                        {"correct_answer", q.correct_answer},
                        {"incorrect_answers", q.incorrect_answers},
                        {"subdomain", q.subdomain},
                        {"domain", q.domain}};
    out << j.dump() << "\n";
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("error writing ", path));
  return absl::OkStatus();
}

absl::Status ValidatePromptTemplate(const std::string& tmpl, bool numeric) {
  static const std::set<std::string> kMcq = {"question", "choices", "letters"};
  size_t pos = 0;
  std::set<std::string> seen;
  while ((pos = tmpl.find('{', pos)) != std::string::npos) {
    const size_t close = tmpl.find('}', pos);
    if (close == std::string::npos) break;
    const std::string name = tmpl.substr(pos + 1, close - pos - 1);
    // Only identifiers are placeholders; "{" followed by anything else is literal text.
    if (!name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == name.npos) {
      if (numeric ? name != "question" : !kMcq.count(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("prompt template: unknown placeholder {", name, "} (known: {question}",
                         numeric ? "" : ", {choices}, {letters}", ")"));
      }
      seen.insert(name);
    }
    pos = close;
  }
  if (!seen.count("question")) {
    return absl::InvalidArgumentError("prompt template: no {question} placeholder");
  }
  if (!numeric && !seen.count("choices")) {
    return absl::InvalidArgumentError("prompt template: no {choices} placeholder");
  }
  return absl::OkStatus();
}

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// `s` trimmed, whitespace runs collapsed to one space, ASCII lower-cased.
std::string FoldForCompare(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (IsSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Whether the code point is an upper-case letter of the scripts the lowercase check knows.
bool IsUpperCodePoint(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return true;
  if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;  // Latin-1, except the multiplication sign
  if (cp >= 0x100 && cp <= 0x137) return cp % 2 == 0;
  if (cp >= 0x139 && cp <= 0x148) return cp % 2 == 1;
  if (cp >= 0x14A && cp <= 0x177) return cp % 2 == 0;
  if (cp == 0x178 || cp == 0x179 || cp == 0x17B || cp == 0x17D) return true;
  if (cp == 0x386 || (cp >= 0x388 && cp <= 0x38F)) return cp != 0x38B && cp != 0x38D;
  if (cp >= 0x391 && cp <= 0x3AB) return cp != 0x3A2;  // Greek capitals
  if (cp >= 0x400 && cp <= 0x42F) return true;         // Cyrillic capitals
  return false;
}

bool HasUpperCase(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') return true;
      ++i;
      continue;
    }
    // Decode a two-byte sequence (the scripts above); skip anything else byte by byte.
    if ((c & 0xE0) == 0xC0 && i + 1 < text.size() &&
        (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
      const uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      if (IsUpperCodePoint(cp)) return true;
      i += 2;
      continue;
    }
    ++i;
  }
  return false;
}

bool IsWordByte(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x80 || absl::ascii_isalnum(u) || c == '_';
}

bool ContainsWholeWord(std::string_view text, std::string_view keyword) {
  const std::string hay = FoldForCompare(text);
  const std::string needle = FoldForCompare(keyword);
  if (needle.empty()) return false;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) {
    const size_t end = at + needle.size();
    if ((at == 0 || !IsWordByte(hay[at - 1])) && (end == hay.size() || !IsWordByte(hay[end]))) {
      return true;
    }
  }
  return false;
}

}  // namespace

size_t CountWords(std::string_view text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (IsSpace(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

bool SatisfiesConstraint(const InstructionConstraint& c, std::string_view text) {
  switch (c.kind) {
    case ConstraintKind::kLowercase:
      return !HasUpperCase(text);
    case ConstraintKind::kMaxWords:
      return CountWords(text) <= c.count;
    case ConstraintKind::kMinWords:
      return CountWords(text) >= c.count;
    case ConstraintKind::kEndWith: {
      const std::string t = FoldForCompare(text), phrase = FoldForCompare(c.text);
      return !phrase.empty() && absl::EndsWith(t, phrase);
    }
    case ConstraintKind::kStartWith: {
      const std::string t = FoldForCompare(text), phrase = FoldForCompare(c.text);
      return !phrase.empty() && absl::StartsWith(t, phrase);
    }
    case ConstraintKind::kNoCommas:
      return text.find(',') == std::string_view::npos &&
             text.find("\xEF\xBC\x8C") == std::string_view::npos;
    case ConstraintKind::kIncludeKeyword:
      return ContainsWholeWord(text, c.text);
  }
  return false;
}

std::string DescribeConstraint(const InstructionConstraint& c) {
  switch (c.kind) {
    case ConstraintKind::kLowercase:
      return "Write only in lowercase letters.";
    case ConstraintKind::kMaxWords:
      return absl::StrCat("Use at most ", c.count, c.count == 1 ? " word." : " words.");
    case ConstraintKind::kMinWords:
      return absl::StrCat("Use at least ", c.count, c.count == 1 ? " word." : " words.");
    case ConstraintKind::kEndWith:
      return absl::StrCat("End your response with the exact phrase \"", c.text, "\"");
    case ConstraintKind::kStartWith:
      return absl::StrCat("Start your response with the exact phrase \"", c.text, "\"");
    case ConstraintKind::kNoCommas:
      return "Do not use any commas.";
    case ConstraintKind::kIncludeKeyword:
      return absl::StrCat("Include the word \"", c.text, "\"");
  }
  return "";
}

std::string FormatInstructionPrompt(const McqQuestion& q) {
  std::string text = q.question;
  for (size_t i = 0; i < q.constraints.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? "\n\n" : "\n", DescribeConstraint(q.constraints[i]));
  }
  return text;
}

McqPrompt FormatMcqPrompt(const McqQuestion& q, uint64_t shuffle_seed, const std::string& tmpl) {
  McqPrompt p;
  if (q.instruction()) {
    p.correct_letter = 0;
    p.text = FormatInstructionPrompt(q);
    return p;
  }
  if (q.numeric) {
    p.correct_letter = 0;
    p.text =
        absl::StrReplaceAll(tmpl.empty() ? kNumericTemplate : tmpl, {{"{question}", q.question}});
    return p;
  }
  const int choices = static_cast<int>(q.incorrect_answers.size()) + 1;
  std::vector<int> order(choices);
  std::iota(order.begin(), order.end(), -1);  // -1 is the correct answer
  std::mt19937_64 rng(shuffle_seed);
  // Fisher-Yates with our own index draw: std::shuffle's output differs across libraries.
  for (int i = choices - 1; i > 0; --i) {
    std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
  }
  p.choice_source = order;
  for (int i = 0; i < choices; ++i) p.letters.push_back(static_cast<char>('A' + i));
  std::string listed;
  for (int i = 0; i < choices; ++i) {
    const std::string& choice = order[i] < 0 ? q.correct_answer : q.incorrect_answers[order[i]];
    if (order[i] < 0) p.correct_letter = p.letters[i];
    absl::StrAppend(&listed, i > 0 ? "\n" : "", std::string(1, p.letters[i]), ") ", choice);
  }
  // One pass, so that a placeholder-like text inside the question is not substituted again.
  p.text = absl::StrReplaceAll(
      tmpl.empty() ? kSimpleEvalsMcqTemplate : tmpl,
      {{"{question}", q.question}, {"{choices}", listed}, {"{letters}", p.letters}});
  return p;
}

std::string DefaultSampleDatasetPath() {
  const std::filesystem::path candidates[] = {
      std::filesystem::path(PTC_SOURCE_DATA_DIR) / "gpqa_sample.jsonl",
      "/usr/local/share/ptc/gpqa_sample.jsonl",
      "/usr/share/ptc/gpqa_sample.jsonl",
  };
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(c, ec)) return c.string();
  }
  return "";
}

}  // namespace ptc
