// The verifier prompt and the reading of its reply's score, with malformed and adversarial
// replies.
#include "aggregators/verifier/verify_prompt.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ParseVerifierScoreTest, ReadsTheDocumentedForms) {
  struct Case {
    const char* reply;
    double score;
  };
  const Case cases[] = {
      {"Score: 0.83", 0.83},
      {"blah\n\nScore: 0.8312", 0.8312},
      {"score:0", 0},
      {"SCORE = 1", 1},
      {"Score: .5", 0.5},
      {"**Score:** 0.9", 0.9},
      {"**Score**: 0.25", 0.25},
      {"__Score__ = 0.4", 0.4},
      {"Probability: 0.7", 0.7},
      {"Confidence: 0.6", 0.6},
      {"P(correct) = 0.2", 0.2},
      {"Score: 83%", 0.83},
      {"Score: 83 %", 0.83},
      {"Score: 100%", 1},
      {"Score: 8/10", 0.8},
      {"Score: 4.5 / 5", 0.9},
      {"Score: 7", 0.7},
      {"Score: 10", 1},
      {"Score: 85", 0.85},
      {"Score: 5e-1", 0.5},
      {"Verdict: yes", 1},
      {"verdict: No", 0},
      {"Correct: true", 1},
      {"Correct = false", 0},
      {"**Verdict:** incorrect", 0},
      {"Verdict: correct", 1},
      {"Score: 0.5.6", 0.5},  // the number as far as it reads
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseVerifierScore(c.reply), Optional(testing::DoubleNear(c.score, 1e-12)))
        << c.reply;
  }
}

TEST(ParseVerifierScoreTest, TheLastScoreDecides) {
  EXPECT_THAT(ParseVerifierScore("Score: 0.1 at first... on reflection Score: 0.9"), Optional(0.9));
  EXPECT_THAT(ParseVerifierScore("Verdict: yes\nScore: 0.3"), Optional(0.3));
  EXPECT_THAT(ParseVerifierScore("Score: 0.3\nVerdict: yes"), Optional(1.0));
  // A readable score followed by an unreadable one: the reply ends unsure, so no score.
  EXPECT_EQ(ParseVerifierScore("Score: 0.9\nScore: 250"), std::nullopt);
}

TEST(ParseVerifierScoreTest, RefusesWhatIsNotAScore) {
  const char* bad[] = {
      "",
      "Answer: B",
      "I think it is right.",
      "Score:",
      "Score: high",
      "Score: -0.5",
      "Score: 101",
      "Score: 250",
      "Score: 101%",
      "Score: 9/8",
      "Score: 1/0",
      "Score: 0/0",
      "Score: 1e309",
      "Score: 1e400%",
      "Score: nan",
      "Score: inf",
      "Verdict: maybe",
      "subscore 0.5",
      "Scored: 0.5",
  };
  for (const char* reply : bad) EXPECT_EQ(ParseVerifierScore(reply), std::nullopt) << reply;
}

TEST(ParseVerifierScoreTest, AnyBytesAreSafe) {
  // Invalid UTF-8, NULs and random bytes: a score or none, never a crash, always in [0, 1].
  std::string weird = "\xff\xfe Score: \xc3";
  weird.push_back('\0');
  weird += "0.4";
  EXPECT_EQ(ParseVerifierScore(weird), std::nullopt);
  EXPECT_THAT(ParseVerifierScore("\xff\xfe\x80 Score: 0.4 \xc3"), Optional(0.4));
  std::mt19937_64 rng(7);
  const std::string alphabet = "Score:=/%. 0123456789eE-+*_\nyesnoVerdict\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    const std::optional<double> score = ParseVerifierScore(s);
    if (score.has_value()) {
      EXPECT_GE(*score, 0) << s;
      EXPECT_LE(*score, 1) << s;
    }
  }
  // A long reply is read in linear time (RE2), and its last score found.
  std::string long_reply(1 << 20, 'x');
  long_reply += " Score: 0.75";
  EXPECT_THAT(ParseVerifierScore(long_reply), Optional(0.75));
}

TEST(VerifyPromptTest, HoldsTheQuestionAnswerAndEvidenceBetweenMarkers) {
  const std::string p = BuildVerifyPrompt("What is 2 + 2?\nA) 4\nB) 5", "A", "Two and two.");
  EXPECT_THAT(p, HasSubstr(std::string(kVerifyQuestionBegin) + "What is 2 + 2?\nA) 4\nB) 5" +
                           std::string(kVerifyQuestionEnd)));
  EXPECT_THAT(p, HasSubstr(std::string(kVerifyAnswerBegin) + "A" + std::string(kVerifyAnswerEnd)));
  EXPECT_THAT(p, HasSubstr("Two and two."));
  EXPECT_THAT(p, EndsWith("that the proposed answer is correct."));
  EXPECT_LE(p.size(), MaxVerifyPromptBytes(25, 12));
}

TEST(VerifyPromptTest, LongAnswersAndEvidenceAreBoundedAtUtf8Boundaries) {
  const std::string answer(kMaxVerifyAnswerBytes - 1, 'a');
  const std::string two_byte = "\xc3\xa9";  // é
  const std::string p = BuildVerifyPrompt("Q", answer + two_byte + "tail", "");
  EXPECT_THAT(p, HasSubstr(answer + std::string(kVerifyAnswerEnd)));  // é cut whole
  EXPECT_LE(p.size(), MaxVerifyPromptBytes(1, 0));

  std::string text;
  for (int i = 0; i < 100; ++i) text += two_byte;
  for (size_t max : {0, 1, 3, 4, 5, 6, 7, 50, 51}) {
    const std::string e = EvidenceTail("", text, max);
    EXPECT_LE(e.size(), max);
    // Never starts inside a UTF-8 sequence: only the cut mark's bytes or whole é.
    if (!e.empty() && max > 4) {
      EXPECT_EQ(e.substr(0, 4), "... ") << max;
    }
    if (e.size() > 4) {
      EXPECT_NE(static_cast<unsigned char>(e[4]) & 0xC0, 0x80) << max;
    }
  }
  EXPECT_EQ(EvidenceTail("thinking", "Answer: B", 100), "thinking\n\nAnswer: B");
  EXPECT_EQ(EvidenceTail("", "Answer: B", 100), "Answer: B");
  EXPECT_EQ(EvidenceTail("long reasoning", "Answer: B", 13), "... Answer: B");
}

}  // namespace
}  // namespace ptc
