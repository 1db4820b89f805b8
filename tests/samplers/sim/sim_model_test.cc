// The simulated model's calibration, determinism, and the statistical check that majority@N over
// its chains matches a Monte Carlo computation from the same latent parameters.
#include "samplers/sim/sim_model.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregators/confidence/confidence_tracker.h"
#include "aggregators/tally.h"
#include "gtest/gtest.h"

namespace ptc::sim {
namespace {

// A synthetic four-choice dataset, so the test depends on nothing but itself.
std::string WriteDataset(int questions) {
  const std::string path =
      (std::filesystem::temp_directory_path() / absl::StrCat("ptc_sim_test_", getpid(), ".jsonl"))
          .string();
  std::ofstream out(path);
  for (int i = 0; i < questions; ++i) {
    out << "{\"id\": \"q" << i << "\", \"question\": \"Synthetic question number " << i
        << " about a damped oscillator.\", \"correct_answer\": \"right " << i
        << "\", \"incorrect_answers\": [\"wrong " << i << " a\", \"wrong " << i << " b\", \"wrong "
        << i << " c\"]}\n";
  }
  return path;
}

std::shared_ptr<const SimModel> MakeModel(int questions, double accuracy = 0.782) {
  v1::SimBackendConfig c;
  c.set_dataset(WriteDataset(questions));
  c.set_target_accuracy(accuracy);
  c.set_unparseable_rate(1e-9);  // every chain votes, so the Monte Carlo below is exact
  auto m = SimModel::Create(c);
  EXPECT_TRUE(m.ok()) << m.status();
  std::filesystem::remove(c.dataset());
  return *m;
}

ChainSpec Spec(const std::vector<ChatMessage>& messages, uint64_t seed) {
  ChainSpec s;
  s.messages = std::make_shared<const std::vector<ChatMessage>>(messages);
  s.model = "sim";
  s.max_tokens = 100000;
  s.seed = seed;
  return s;
}

std::vector<ChatMessage> Prompt(const McqQuestion& q, uint64_t shuffle_seed) {
  return {ChatMessage{ChatMessage::Role::kUser, FormatMcqPrompt(q, shuffle_seed).text}};
}

// Majority of n draws from `probs` (index 0 is correct), ties to the earliest draw: an
// implementation independent of the service's Tally.
bool MajorityCorrect(const std::vector<double>& probs, int n, std::mt19937_64& rng) {
  std::discrete_distribution<int> d(probs.begin(), probs.end());
  std::vector<int> votes(probs.size(), 0), first(probs.size(), n);
  for (int i = 0; i < n; ++i) {
    int a = d(rng);
    ++votes[a];
    first[a] = std::min(first[a], i);
  }
  int best = 0;
  for (size_t a = 1; a < probs.size(); ++a) {
    if (votes[a] > votes[best] || (votes[a] == votes[best] && first[a] < first[best])) best = a;
  }
  return best == 0;
}

std::vector<double> AnswerProbs(const LatentParams& p) {
  std::vector<double> probs = {p.p_correct};
  for (double w : p.wrong) probs.push_back((1 - p.p_correct) * w);
  return probs;
}

double MonteCarloMajority(const std::vector<double>& probs, int n, int trials, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int correct = 0;
  for (int t = 0; t < trials; ++t) correct += MajorityCorrect(probs, n, rng);
  return double(correct) / trials;
}

TEST(SimModelTest, MonteCarloReproducesTheReferenceFigures) {
  // ../shared/REFERENCE.md: p = .40 with wrong .20/.20/.20 -> majority@64 ~ .96;
  // p = .40 with one dominant wrong answer .45/.10/.05 -> ~ .33 (voting hurts).
  EXPECT_NEAR(MonteCarloMajority({0.40, 0.20, 0.20, 0.20}, 64, 20000, 1), 0.96, 0.02);
  EXPECT_NEAR(MonteCarloMajority({0.40, 0.45, 0.10, 0.05}, 64, 20000, 2), 0.33, 0.03);
}

TEST(SimModelTest, LatentAccuracyIsCalibratedToTheTarget) {
  const int q = 400;
  auto model = MakeModel(q, 0.782);
  double sum = 0;
  for (int i = 0; i < q; ++i) sum += model->params(i).p_correct;
  // Stratified: the mean of q strata of 64 draws each has the error of q * 64 draws. Beta(a, b)
  // with mean m and a + b = k has variance m (1 - m) / (k + 1).
  const double k = model->config().concentration();
  const double sd = std::sqrt(0.782 * 0.218 / (k + 1) / (q * 64));
  EXPECT_NEAR(sum / q, 0.782, 4 * sd);
  // The spread is the prior's, not collapsed: a quarter of the questions are hard.
  int hard = 0;
  for (int i = 0; i < q; ++i) hard += model->params(i).p_correct < 0.5;
  EXPECT_GT(hard, q / 10);
}

TEST(SimModelTest, ChainsAreDeterministicForASeedAndShuffleInvariant) {
  auto model = MakeModel(20);
  const McqQuestion& q = model->questions()[3];
  for (uint64_t seed : {1ull, 2ull, 99ull}) {
    auto a = model->Plan(model->Match(Prompt(q, 7)), Spec(Prompt(q, 7), seed));
    auto b = model->Plan(model->Match(Prompt(q, 7)), Spec(Prompt(q, 7), seed));
    EXPECT_EQ(a.letter, b.letter);
    EXPECT_EQ(a.body_tokens, b.body_tokens);
    // Another shuffle: the same content is chosen (the letter may move).
    auto c = model->Plan(model->Match(Prompt(q, 8)), Spec(Prompt(q, 8), seed));
    EXPECT_EQ(a.correct, c.correct);
  }
}

TEST(SimModelTest, MatchesPromptsToQuestionsAndLetters) {
  auto model = MakeModel(20);
  const McqQuestion& q = model->questions()[11];
  McqPrompt p = FormatMcqPrompt(q, 5);
  PromptMatch m = model->Match(Prompt(q, 5));
  EXPECT_EQ(m.question, 11);
  EXPECT_EQ(m.letters, "ABCD");
  EXPECT_EQ(m.choice_source, p.choice_source);
  PromptMatch unknown = model->Match({ChatMessage{ChatMessage::Role::kUser, "What is 2+2?"}});
  EXPECT_EQ(unknown.question, -1);
}

// P(a random correct chain scores above a random wrong one), ties counting half.
double Auc(const std::vector<double>& correct, const std::vector<double>& wrong) {
  double wins = 0;
  for (double c : correct) {
    for (double w : wrong) wins += c > w ? 1 : c == w ? 0.5 : 0;
  }
  return wins / (static_cast<double>(correct.size()) * wrong.size());
}

struct ConfidenceAucs {
  double mean = 0, lowest = 0;
  int correct = 0, wrong = 0;
  double gap_of_means = 0;  // mean C of correct minus wrong chains
};

// Chains of 200 questions x 20 seeds; the group window is 64 tokens (chains are ~600 long).
ConfidenceAucs MeasureAucs(double gap) {
  v1::SimBackendConfig c;
  c.set_dataset(WriteDataset(200));
  c.set_confidence_gap(gap);
  auto model = SimModel::Create(c);
  EXPECT_TRUE(model.ok()) << model.status();
  std::filesystem::remove(c.dataset());
  std::vector<double> mean[2], lowest[2];
  for (int i = 0; i < 200; ++i) {
    auto prompt = Prompt((*model)->questions()[i], 1);
    auto match = (*model)->Match(prompt);
    for (uint64_t s = 0; s < 20; ++s) {
      ChainPlan plan = (*model)->Plan(match, Spec(prompt, s));
      ChainTextGenerator gen(plan, 5);
      ConfidenceTracker tracker(64);
      std::string text;
      std::vector<float> lp, top;
      while (gen.NextBody(64, &text, &lp, &top) > 0) {
      }
      EXPECT_EQ(top.size(), lp.size() * 5);
      for (size_t t = 0; t < lp.size(); ++t) {
        double sum = 0;
        for (size_t j = 0; j < 5; ++j) sum += top[t * 5 + j];
        tracker.AddToken(-sum / 5);
      }
      auto stats = tracker.Stats();
      EXPECT_NEAR(stats->mean_token(), gen.MeanConfidence(), 1e-3);
      mean[plan.correct].push_back(stats->mean_token());
      lowest[plan.correct].push_back(stats->lowest_group());
    }
  }
  ConfidenceAucs a;
  a.correct = static_cast<int>(mean[1].size());
  a.wrong = static_cast<int>(mean[0].size());
  a.mean = Auc(mean[1], mean[0]);
  a.lowest = Auc(lowest[1], lowest[0]);
  auto avg = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.size();
  };
  a.gap_of_means = avg(mean[1]) - avg(mean[0]);
  return a;
}

// DeepConf's observation, reproduced: the lowest group confidence separates correct from wrong
// chains (AUC about 0.75), better than the mean, and neither separates with no gap. With ~3100
// correct and ~900 wrong chains the AUC's standard error is under 0.01 (Hanley-McNeil), so the
// bands below are several standard errors wide.
TEST(SimModelTest, LowestGroupConfidenceSeparatesCorrectChainsBetterThanTheMean) {
  const ConfidenceAucs on = MeasureAucs(0.6);
  std::printf("gap 0.6: AUC lowest group %.3f, mean %.3f (%d correct, %d wrong chains)\n",
              on.lowest, on.mean, on.correct, on.wrong);
  ASSERT_GT(on.wrong, 500);
  EXPECT_GT(on.lowest, 0.68);
  EXPECT_LT(on.lowest, 0.85);
  EXPECT_GT(on.lowest - on.mean, 0.05);
  EXPECT_GT(on.gap_of_means, 0);
  const ConfidenceAucs off = MeasureAucs(1e-9);  // 0 would mean the default
  std::printf("gap 0: AUC lowest group %.3f, mean %.3f\n", off.lowest, off.mean);
  EXPECT_NEAR(off.lowest, 0.5, 0.04);
  EXPECT_NEAR(off.mean, 0.5, 0.04);
}

TEST(SimModelTest, TheConfidenceSignalDoesNotChangeTextOrAnswers) {
  v1::SimBackendConfig c;
  c.set_dataset(WriteDataset(10));
  auto on = SimModel::Create(c);
  c.set_confidence_gap(1e-9);
  auto off = SimModel::Create(c);
  std::filesystem::remove(c.dataset());
  ASSERT_TRUE(on.ok() && off.ok());
  for (int i = 0; i < 10; ++i) {
    auto prompt = Prompt((*on)->questions()[i], 3);
    for (uint64_t s = 0; s < 5; ++s) {
      ChainPlan a = (*on)->Plan((*on)->Match(prompt), Spec(prompt, s));
      ChainPlan b = (*off)->Plan((*off)->Match(prompt), Spec(prompt, s));
      EXPECT_EQ(a.letter, b.letter);
      EXPECT_EQ(a.body_tokens, b.body_tokens);
      EXPECT_LT(b.dip_depth, 1e-8);
      ChainTextGenerator ga(a, 5), gb(b, 5);
      std::string ta, tb;
      std::vector<float> lpa, lpb, topa, topb;
      while (ga.NextBody(64, &ta, &lpa, &topa) > 0) {
      }
      while (gb.NextBody(64, &tb, &lpb, &topb) > 0) {
      }
      EXPECT_EQ(ta, tb);
    }
  }
}

TEST(SimModelTest, TextEndsWithTheAnswerLineAndRespectsMaxTokens) {
  auto model = MakeModel(5);
  auto prompt = Prompt(model->questions()[0], 1);
  ChainPlan plan = model->Plan(model->Match(prompt), Spec(prompt, 4));
  ChainTextGenerator gen(plan, 0);
  std::string text;
  std::vector<float> lp, top;
  uint32_t tokens = 0, n;
  while ((n = gen.NextBody(32, &text, &lp, &top)) > 0) tokens += n;
  uint32_t closing_tokens = 0;
  text += gen.Closing(&closing_tokens);
  EXPECT_EQ(tokens, plan.body_tokens);
  EXPECT_TRUE(lp.empty());
  // Asking for logprobs does not change the text.
  ChainTextGenerator with_logprobs(plan, 5);
  std::string text2;
  while (with_logprobs.NextBody(32, &text2, &lp, &top) > 0) {
  }
  EXPECT_EQ(text.substr(0, text2.size()), text2);
  EXPECT_EQ(lp.size(), plan.body_tokens);
  EXPECT_EQ(text.substr(text.size() - 9), absl::StrCat("Answer: ", std::string(1, plan.letter)));

  ChainSpec short_spec = Spec(prompt, 4);
  short_spec.max_tokens = 10;
  ChainPlan truncated = model->Plan(model->Match(prompt), short_spec);
  EXPECT_TRUE(truncated.truncated);
  EXPECT_FALSE(truncated.parseable);
  EXPECT_LE(truncated.body_tokens, 10u);
}

TEST(SimModelTest, MajorityAtNMatchesMonteCarloFromTheLatentParameters) {
  const int questions = 200, repeats = 20, mc_trials = 2000;
  auto model = MakeModel(questions);
  for (int n : {1, 4, 16}) {
    double observed = 0, expected = 0, var_observed = 0, var_expected = 0;
    for (int qi = 0; qi < questions; ++qi) {
      const std::vector<double> probs = AnswerProbs(model->params(qi));
      const double a = MonteCarloMajority(probs, n, mc_trials, 1000 + qi);
      expected += a;
      var_expected += a * (1 - a) / mc_trials;
      for (int r = 0; r < repeats; ++r) {
        auto prompt = Prompt(model->questions()[qi], r);
        auto match = model->Match(prompt);
        Tally tally;
        for (int i = 0; i < n; ++i) {
          ChainPlan plan = model->Plan(match, Spec(prompt, uint64_t(r) * 1000 + i));
          ASSERT_TRUE(plan.parseable);
          tally.Add(i, plan.correct ? "correct" : std::string(1, plan.letter));
        }
        observed += tally.RankedByVotes()[0].answer == "correct";
        var_observed += a * (1 - a);
      }
    }
    const double total = double(questions) * repeats;
    observed /= total;
    expected /= questions;
    // Observed is a mean of `total` Bernoulli(a_q); expected carries Monte Carlo error.
    const double sd =
        std::sqrt(var_observed / (total * total) + var_expected / (questions * questions));
    const std::string figures = absl::StrCat("majority@", n, ": observed ", observed,
                                             ", Monte Carlo ", expected, ", sd ", sd);
    std::printf("%s\n", figures.c_str());
    SCOPED_TRACE(figures);
    EXPECT_NEAR(observed, expected, 4 * sd);
    EXPECT_LT(sd, 0.02);  // the check is tight enough to mean something
  }
}

TEST(SimModelTest, MajorityImprovesWithNAndSaturates) {
  auto model = MakeModel(300);
  auto acc = [&](int n) {
    double sum = 0;
    for (int qi = 0; qi < 300; ++qi) {
      sum += MonteCarloMajority(AnswerProbs(model->params(qi)), n, 400, qi);
    }
    return sum / 300;
  };
  // The limit as N grows: a question is won iff p beats its most likely wrong answer.
  double plateau = 0;
  for (int qi = 0; qi < 300; ++qi) {
    const LatentParams& p = model->params(qi);
    plateau += p.p_correct > (1 - p.p_correct) * *std::max_element(p.wrong.begin(), p.wrong.end());
  }
  plateau /= 300;
  const double a1 = acc(1), a16 = acc(16), a64 = acc(64), a256 = acc(256);
  std::printf("majority@1 %.3f @16 %.3f @64 %.3f @256 %.3f limit %.3f\n", a1, a16, a64, a256,
              plateau);
  EXPECT_GT(a16, a1 + 0.02);
  EXPECT_LT(std::abs(a256 - a64), 0.02);  // levelled off
  EXPECT_NEAR(a256, plateau, 0.02);       // at the limit the latent parameters predict
  EXPECT_LT(plateau, 0.95);               // some questions have a dominant wrong answer
}

}  // namespace
}  // namespace ptc::sim
