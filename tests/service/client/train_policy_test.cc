// `ptc train-policy`: options and errors, a policy written from records, and the loop a user
// runs as processes: `ptc eval` with thinking off and on, `ptc train-policy`, then
// `ptc eval --compute auto:policy=NAME` serving it from $PTC_POLICY_DIR.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/eval/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/client/train_policy_command.h"
#include "service/compute/prompt_features.h"
#include "service/compute/thinking_policy.h"

namespace ptc::client {
namespace {

using ::testing::HasSubstr;

class TrainPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("ptc_train_policy_",
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
    return RunTrainPolicyCommand(args, out_, err_);
  }

  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(TrainPolicyTest, HelpAndBadOptions) {
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("usage: ptc train-policy --records FILE --out POLICY"));
  EXPECT_EQ(Run({"--out", "p.json"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--records: required"));
  EXPECT_EQ(Run({"--records", "r"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--out: required"));
  EXPECT_EQ(Run({"--records=r", "--out=p", "--holdout-fraction", "1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--holdout-fraction: \"1\" is not a number in [0, 1)"));
  EXPECT_EQ(Run({"--records=r", "--out=p", "--think-budget", "0"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--think-budget: \"0\" is not a positive integer"));
  EXPECT_EQ(Run({"--records=r", "--out=p", "--l2=-1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--l2: \"-1\" is not a number >= 0"));
  EXPECT_EQ(Run({"--records=r", "--out=p", "--rounds=3"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("ptc train-policy: --rounds is not an option"));
  EXPECT_EQ(Run({"--records", dir_ + "/none.jsonl", "--out", dir_ + "/p.json"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("none.jsonl is not a file"));
  // Records of one arm only: nothing to learn from, said so.
  const std::string path = dir_ + "/records.jsonl";
  {
    auto writer = eval::RecordWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    eval::Record r;
    r.ok = true;
    r.id = "q";
    r.prompt_features = compute::PromptFeatures("Which?\nA) x\nB) y\n");
    ASSERT_TRUE(writer->Append(r).ok());
  }
  EXPECT_EQ(Run({"--records", path, "--out", dir_ + "/p.json"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("no record with thinking on"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/p.json"));
}

// The commands as a user runs them, as processes, on the mixed dataset.
TEST_F(TrainPolicyTest, RecordTrainServeAsProcesses) {
  const std::string ptc = PTC_BINARY;
  const std::string dataset =
      (std::filesystem::path(PTC_SOURCE_DIR) / "bench/data/mixed_reasoning_if.jsonl").string();
  const std::string policies = dir_ + "/policies";
  std::filesystem::create_directories(policies);
  auto sh = [](const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  ASSERT_EQ(sh(absl::StrCat(ptc, " eval --dataset ", dataset,
                            " --thinking-budget 0,4096 --n 1 --repeats 2 --seed 1 --concurrency 16"
                            " --progress plain --out ",
                            dir_, "/rec > ", dir_, "/rec.log 2>&1")),
            0);
  ASSERT_EQ(sh(absl::StrCat(ptc, " train-policy --records ", dir_, "/rec/records.jsonl --out ",
                            policies, "/mine.json > ", dir_, "/train.log 2>&1")),
            0);
  std::ifstream train_log(dir_ + "/train.log");
  const std::string train((std::istreambuf_iterator<char>(train_log)), {});
  EXPECT_THAT(train, HasSubstr("thinking off vs at budget 4096"));
  EXPECT_THAT(train, HasSubstr("held-out"));
  auto policy = compute::ThinkingPolicy::Load(policies + "/mine.json");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->training().at("think_budget"), 4096);

  ASSERT_EQ(sh(absl::StrCat("PTC_POLICY_DIR=", policies, " ", ptc, " eval --dataset ", dataset,
                            " --compute 'auto:policy=mine' --n 1 --repeats 1 --concurrency 16"
                            " --progress plain --out ",
                            dir_, "/auto > ", dir_, "/auto.log 2>&1")),
            0);
  auto records = eval::LoadRecords(dir_ + "/auto/records.jsonl", /*repair=*/false);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 120u);
  int thought = 0;
  for (const eval::Record& r : *records) {
    ASSERT_TRUE(r.compute.has_value()) << r.id;
    EXPECT_TRUE(r.compute->has_thinking_probability());
    thought += r.compute->thinking();
    EXPECT_EQ(r.stop, "auto policy=mine then fixed");
  }
  // It thinks on some prompts and not on others.
  EXPECT_GT(thought, 0);
  EXPECT_LT(thought, 120);
}

}  // namespace
}  // namespace ptc::client
