#include "common/mcq_dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::vector<McqQuestion>> LoadMcqJsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open dataset ", path));
  std::vector<McqQuestion> out;
  std::set<std::string> ids;
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    if (raw.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return LineError(path, line, "not a JSON object");
    McqQuestion q;
    auto id = RequiredString(j, "id", path, line);
    if (!id.ok()) return id.status();
    q.id = *id;
    auto question = RequiredString(j, "question", path, line);
    if (!question.ok()) return question.status();
    q.question = *question;
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
    q.subdomain = OptionalString(j, "subdomain");
    q.domain = OptionalString(j, "domain");
    if (!ids.insert(q.id).second) {
      return LineError(path, line, absl::StrCat("duplicate id \"", q.id, "\""));
    }
    out.push_back(std::move(q));
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no questions"));
  return out;
}

McqPrompt FormatMcqPrompt(const McqQuestion& q, uint64_t shuffle_seed) {
  const int choices = static_cast<int>(q.incorrect_answers.size()) + 1;
  std::vector<int> order(choices);
  std::iota(order.begin(), order.end(), -1);  // -1 is the correct answer
  std::mt19937_64 rng(shuffle_seed);
  // Fisher-Yates with our own index draw: std::shuffle's output differs across libraries.
  for (int i = choices - 1; i > 0; --i) {
    std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
  }
  McqPrompt p;
  p.choice_source = order;
  p.text =
      "Answer the following multiple choice question. The last line of your response should be of "
      "the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ";
  for (int i = 0; i < choices; ++i) p.letters.push_back(static_cast<char>('A' + i));
  absl::StrAppend(&p.text, p.letters, ". Think step by step before answering.\n\n", q.question,
                  "\n");
  for (int i = 0; i < choices; ++i) {
    const std::string& choice = order[i] < 0 ? q.correct_answer : q.incorrect_answers[order[i]];
    if (order[i] < 0) p.correct_letter = p.letters[i];
    absl::StrAppend(&p.text, "\n", std::string(1, p.letters[i]), ") ", choice);
  }
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
