// `ptc train-scorer`: options and errors, a model written from records, and the loop a user runs
// as processes: `ptc eval` records, `ptc train-scorer` fits, `ptc eval --strategy learned:NAME`
// serves the model from $PTC_SCORER_DIR.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregators/learned/scorer_model.h"
#include "bench/eval/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/client/train_scorer_command.h"

extern char** environ;

namespace ptc::client {
namespace {

using ::testing::HasSubstr;

class TrainScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("ptc_train_scorer_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                         getpid()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    return RunTrainScorerCommand(args, out_, err_);
  }

  // 80 questions x 2 repeats at N = 8: the reference's chains are the more confident.
  std::string WriteRecords() {
    const std::string path = dir_ + "/records.jsonl";
    auto writer = eval::RecordWriter::Open(path);
    EXPECT_TRUE(writer.ok()) << writer.status();
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    for (int q = 0; q < 80; ++q) {
      for (int r = 0; r < 2; ++r) {
        eval::Record rec;
        rec.strategy = "weighted:64";
        rec.stop = "fixed";
        rec.ok = true;
        rec.n = 8;
        rec.question = q;
        rec.id = absl::StrCat("q", q);
        rec.repeat = r;
        rec.seed = q * 10 + r;
        rec.reference = "A";
        for (uint32_t i = 0; i < 8; ++i) {
          eval::ChainFeatures c;
          c.index = i;
          c.status = "ok";
          c.parseable = true;
          const bool right = u(rng) < 0.3 + 0.05 * (q % 8);
          c.answer = right ? "A" : "B";
          c.finish_reason = "stop";
          v1::ChainConfidence k;
          k.set_tokens(100);
          k.set_window_tokens(64);
          k.set_lowest_group((right ? 1.5 : 1.0) + 0.3 * u(rng));
          c.confidence = k;
          rec.chains.push_back(c);
        }
        EXPECT_TRUE(writer->Append(rec).ok());
      }
    }
    return path;
  }

  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(TrainScorerTest, HelpAndBadOptions) {
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("usage: ptc train-scorer --records FILE --out MODEL"));
  EXPECT_EQ(Run({"--out", "m.json"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--records: required"));
  EXPECT_EQ(Run({"--records", "r"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--out: required"));
  EXPECT_EQ(Run({"--records=r", "--out=m", "--kind=forest"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--kind: \"forest\" is not xgboost or logistic"));
  EXPECT_EQ(Run({"--records=r", "--out=m", "--holdout-fraction", "1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--holdout-fraction: \"1\" is not a number in [0, 1)"));
  EXPECT_EQ(Run({"--records=r", "--out=m", "--n", "0"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--n: \"0\" is not a positive integer"));
  EXPECT_EQ(Run({"--records=r", "--out=m", "--rounds", "0"}), 2);
  EXPECT_EQ(Run({"--records=r", "--out=m", "--depth=3"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--depth is not an option"));
  EXPECT_EQ(Run({"--records"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--records needs a value"));
  EXPECT_EQ(Run({"records.jsonl"}), 2);
  EXPECT_EQ(Run({"--records", dir_ + "/none.jsonl", "--out", dir_ + "/m.json"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("none.jsonl is not a file"));
  std::ofstream(dir_ + "/bad.jsonl") << "{}\n{}\n";
  EXPECT_EQ(Run({"--records", dir_ + "/bad.jsonl", "--out", dir_ + "/m.json"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("bad.jsonl:1:"));
}

TEST_F(TrainScorerTest, WritesAModelAndReportsBothSides) {
  const std::string records = WriteRecords();
  for (const char* kind : {"xgboost", "logistic"}) {
    const std::string model = dir_ + "/" + kind + ".json";
    ASSERT_EQ(Run({"--records", records, "--out", model, "--kind", kind, "--holdout-fraction",
                   "0.5", "--rounds", "30", "--n", "4,8"}),
              0)
        << err_.str();
    const std::string printed = out_.str();
    EXPECT_THAT(printed, HasSubstr("160 used, 0 skipped; 320 selections at N = 4,8"));
    EXPECT_THAT(printed, HasSubstr("confidence window 64 tokens"));
    EXPECT_THAT(printed, HasSubstr("log-loss  accuracy  majority"));
    EXPECT_THAT(printed, HasSubstr("held-out accuracy by N"));
    EXPECT_THAT(printed, HasSubstr(absl::StrCat("model: ", kind, ", 26 features, version ")));
    auto loaded = learned::ScorerModel::Load(model);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_THAT(printed, HasSubstr((*loaded)->version()));
    EXPECT_EQ((*loaded)->training().holdout_fraction, 0.5);
    EXPECT_EQ((*loaded)->training().records, records);
    EXPECT_FALSE(std::filesystem::exists(model + ".tmp"));
  }
}

// Runs a command to its end with stdout and stderr to `log`; returns its exit code.
int RunProcess(const std::vector<std::string>& args, const std::string& log,
               const std::string& scorer_dir) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> env_strings = {absl::StrCat("PTC_SCORER_DIR=", scorer_dir)};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("PTC_SCORER_DIR=", 0) != 0) env_strings.push_back(*e);
  }
  std::vector<char*> env, argv;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(TrainScorerTest, RecordTrainServeAsProcesses) {
  const std::string dataset = std::string(PTC_SOURCE_DIR) + "/bench/data/gpqa_sample.jsonl";
  const std::string scorers = dir_ + "/scorers";
  std::filesystem::create_directories(scorers);
  const std::string log = dir_ + "/log.txt";
  ASSERT_EQ(RunProcess({PTC_BINARY, "eval", "--dataset", dataset, "--limit", "40", "--repeats", "2",
                        "--n", "8", "--strategy", "weighted:64", "--concurrency", "8",
                        "--progress=plain", "--out", dir_ + "/recorded"},
                       log, scorers),
            0)
      << ReadAll(log);
  ASSERT_EQ(RunProcess({PTC_BINARY, "train-scorer", "--records", dir_ + "/recorded/records.jsonl",
                        "--kind", "logistic", "--out", scorers + "/mine.json"},
                       log, scorers),
            0)
      << ReadAll(log);
  EXPECT_THAT(ReadAll(log), HasSubstr("written to " + scorers + "/mine.json"));
  ASSERT_EQ(
      RunProcess({PTC_BINARY, "eval", "--dataset", dataset, "--limit", "40", "--n", "8",
                  "--strategy", "learned:mine", "--progress=plain", "--out", dir_ + "/served"},
                 log, scorers),
      0)
      << ReadAll(log);
  EXPECT_THAT(ReadAll(log), HasSubstr("learned:mine N=8"));
  const std::string records = ReadAll(dir_ + "/served/records.jsonl");
  EXPECT_THAT(records, HasSubstr("\"window_tokens\":64"));  // the model's window, asked for

  // An unknown model is refused with the field named.
  ASSERT_NE(RunProcess({PTC_BINARY, "eval", "--dataset", dataset, "--limit", "2", "--n", "2",
                        "--strategy", "learned:other", "--progress=plain"},
                       log, scorers),
            0);
  EXPECT_THAT(ReadAll(log), HasSubstr("aggregation.learned.model: no model \"other\""));
}

}  // namespace
}  // namespace ptc::client
