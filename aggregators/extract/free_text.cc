#include "aggregators/extract/free_text.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/answer_line.h"
#include "aggregators/extract/re2_util.h"
#include "aggregators/extract/text_util.h"
#include "re2/re2.h"

namespace ptc::extract_internal {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// UTF-8 sequences that separate words like ASCII punctuation.
constexpr std::string_view kSeparators[] = {
    "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x98", "\xE2\x80\x99",  // “ ” ‘ ’
    "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\xA6",                  // – — …
    "\xC2\xAB",     "\xC2\xBB",     "\xC2\xA0",                      // « » no-break space
};

// The length of a separator starting at text[i], or 0 when text[i] is part of a word.
size_t SeparatorAt(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) {
    if (absl::ascii_isalnum(c)) return 0;
    if ((c == '.' || c == ',') && i > 0 && i + 1 < text.size() &&
        absl::ascii_isdigit(static_cast<unsigned char>(text[i - 1])) &&
        absl::ascii_isdigit(static_cast<unsigned char>(text[i + 1]))) {
      return 0;
    }
    return 1;
  }
  for (std::string_view sep : kSeparators) {
    if (text.substr(i, sep.size()) == sep) return sep.size();
  }
  return 0;
}

bool IsArticle(std::string_view w) { return w == "a" || w == "an" || w == "the"; }

uint64_t HashWord(std::string_view w) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : w) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class FreeTextGrouper final : public AnswerGrouper {
 public:
  explicit FreeTextGrouper(double min_overlap) : min_overlap_(min_overlap) {}

  std::string Assign(std::string_view answer) override {
    const std::string key(answer);
    if (auto it = seen_.find(key); it != seen_.end()) return groups_[it->second].representative;
    std::vector<uint64_t> words = WordSet(answer);
    size_t best = groups_.size();
    double best_overlap = -1;
    for (size_t g = 0; g < groups_.size(); ++g) {
      const double j = Jaccard(words, groups_[g].words);
      if (j >= min_overlap_ - 1e-12 && j > best_overlap) {
        best = g;
        best_overlap = j;
      }
    }
    if (best == groups_.size()) groups_.push_back(Group{key, std::move(words)});
    seen_.emplace(key, best);
    return groups_[best].representative;
  }

 private:
  struct Group {
    std::string representative;
    std::vector<uint64_t> words;
  };
  const double min_overlap_;
  std::vector<Group> groups_;
  absl::flat_hash_map<std::string, size_t> seen_;
};

class FreeTextExtractor final : public AnswerExtractor {
 public:
  FreeTextExtractor(std::unique_ptr<RE2> marker, double min_overlap)
      : marker_(std::move(marker)), min_overlap_(min_overlap) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    return ExtractAnswerLine(text, *marker_,
                             [](std::string_view line) { return NormalizeAnswerWords(line); });
  }

  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    std::string value = NormalizeAnswerWords(reference);
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(QuoteForError(reference), " has no words after normalising"));
    }
    return value;
  }

  bool Matches(std::string_view answer, std::string_view reference) const override {
    if (answer == reference) return true;
    return Jaccard(WordSet(answer), WordSet(reference)) >= min_overlap_ - 1e-12;
  }

  std::unique_ptr<AnswerGrouper> NewGrouper() const override {
    return std::make_unique<FreeTextGrouper>(min_overlap_);
  }

 private:
  const std::unique_ptr<RE2> marker_;
  const double min_overlap_;
};

}  // namespace

std::string NormalizeAnswerWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (size_t i = 0; i < text.size();) {
    if (const size_t sep = SeparatorAt(text, i); sep > 0) {
      flush();
      i += sep;
      continue;
    }
    word.push_back(absl::ascii_tolower(static_cast<unsigned char>(text[i])));
    ++i;
  }
  flush();
  const bool only_articles = std::all_of(words.begin(), words.end(), IsArticle);
  std::string out;
  for (const std::string& w : words) {
    if (!only_articles && IsArticle(w)) continue;
    const size_t need = w.size() + (out.empty() ? 0 : 1);
    if (out.size() + need > kMaxAnswerBytes) break;
    if (!out.empty()) out.push_back(' ');
    out.append(w);
  }
  return out;
}

std::vector<uint64_t> WordSet(std::string_view normalized) {
  std::vector<uint64_t> out;
  size_t begin = 0;
  while (begin < normalized.size()) {
    size_t end = normalized.find(' ', begin);
    if (end == kNpos) end = normalized.size();
    if (end > begin) out.push_back(HashWord(normalized.substr(begin, end - begin)));
    begin = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double Jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.empty() && b.empty()) return 1;
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++common;
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateFreeTextExtractor(
    const v1::AnswerFormat::FreeText& format) {
  double min_overlap = format.min_overlap();
  if (!(min_overlap >= 0 && min_overlap <= 1)) {  // also rejects NaN
    return absl::InvalidArgumentError(
        "answer_format.free_text.min_overlap: must be in (0, 1] (0 = the default 0.6)");
  }
  if (min_overlap == 0) min_overlap = kDefaultMinOverlap;
  auto marker = CompileFixedPattern(R"((?i)answer(?:\*\*)?[ \t]*(?:\*\*)?[ \t]*:(?:\*\*)?)");
  if (!marker->ok()) {
    return absl::InternalError(absl::StrCat("answer marker does not compile: ", marker->error()));
  }
  return std::make_unique<FreeTextExtractor>(std::move(marker), min_overlap);
}

}  // namespace ptc::extract_internal
