// `ptc eval` as a process: killed mid-run (SIGKILL) or interrupted (SIGINT), then resumed, it
// ends with the same table as an uninterrupted run with the same seed; nothing is lost or redone.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace {

const std::string kDataset = std::string(PTC_SOURCE_DIR) + "/bench/data/gpqa_sample.jsonl";
// 20 questions x 2 repeats: majority at fixed N (only N = 8 drawn) and ESC (every N run; its
// waves finish before each decision, so nothing is cancelled and tokens do not depend on timing):
// 40 + 120 calls.
constexpr int kTotalCalls = 160;

std::vector<std::string> EvalArgv(const std::string& out, bool resume) {
  std::vector<std::string> argv = {
      PTC_BINARY, "eval",  "--dataset",       kDataset,    "--limit", "20", "--repeats",     "2",
      "--n",      "1,4,8", "--stop",          "fixed,esc", "--seed",  "5",  "--concurrency", "4",
      "--out",    out,     "--progress=plain"};
  if (resume) argv.push_back("--resume");
  return argv;
}

// Starts the command with stdout and stderr to `log`; returns its pid.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

int RunToEnd(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = Spawn(args, log);
  return pid < 0 ? -1 : Wait(pid);
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

// Waits until the records file has at least `lines` lines, then signals the child. The wait's
// bound is a safety net for a stuck child, not a timing assertion.
void SignalAfter(pid_t pid, const std::string& records, size_t lines, int sig) {
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  while (CountLines(records) < lines && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(5));
  kill(pid, sig);
}

// results.csv without the latency columns (p50, p95: timing, not outcome).
std::vector<std::string> TableWithoutLatency(const std::string& dir) {
  std::ifstream in(dir + "/results.csv");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (cells.size() >= 14) cells.erase(cells.begin() + 12, cells.begin() + 14);
    out.push_back(absl::StrJoin(cells, ","));
  }
  return out;
}

// Series, n, question and repeat identify a call; a line that is not a JSON object is its own key
// (so it cannot hide a duplicate).
std::set<std::string> RecordKeys(const std::string& path) {
  std::ifstream in(path);
  std::set<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      keys.insert("unparsed: " + line);
      continue;
    }
    keys.insert(absl::StrCat(j.value("series", "?"), "/", j.value("n", -1), "/",
                             j.value("question", -1), "/", j.value("repeat", -1)));
  }
  return keys;
}

class EvalResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test and process: ctest runs this file's tests as parallel processes, and
    // a shared directory let one test's SetUp delete the other's records mid-run.
    base_ = ::testing::TempDir() + "/eval_resume_test_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
            std::to_string(getpid());
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_);
    // The uninterrupted run, once.
    ASSERT_EQ(RunToEnd(EvalArgv(base_ + "/whole", false), base_ + "/whole.log"), 0)
        << Log(base_ + "/whole.log");
    whole_ = TableWithoutLatency(base_ + "/whole");
    ASSERT_EQ(whole_.size(), 7u);  // header + 2 series x 3 N
  }

  static std::string Log(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  void ExpectResumedEqualsWhole(const std::string& dir, size_t before) {
    const std::string records = dir + "/records.jsonl";
    ASSERT_EQ(RunToEnd(EvalArgv(dir, true), dir + ".log"), 0) << Log(dir + ".log");
    EXPECT_EQ(TableWithoutLatency(dir), whole_);
    // Every call once: nothing redone, nothing lost.
    EXPECT_EQ(CountLines(records), static_cast<size_t>(kTotalCalls));
    EXPECT_EQ(RecordKeys(records).size(), static_cast<size_t>(kTotalCalls));
    EXPECT_THAT(Log(dir + ".log"), ::testing::HasSubstr(std::to_string(before) + " resumed"));
  }

  std::string base_;
  std::vector<std::string> whole_;
};

TEST_F(EvalResumeTest, KilledMidRunThenResumedEqualsAnUninterruptedRun) {
  const std::string dir = base_ + "/killed";
  const pid_t pid = Spawn(EvalArgv(dir, false), dir + ".log");
  ASSERT_GT(pid, 0);
  SignalAfter(pid, dir + "/records.jsonl", 30, SIGKILL);
  EXPECT_EQ(Wait(pid), 128 + SIGKILL) << "the run finished before the kill";
  const size_t kept = CountLines(dir + "/records.jsonl");
  ASSERT_GE(kept, 30u);
  ASSERT_LT(kept, static_cast<size_t>(kTotalCalls));
  ExpectResumedEqualsWhole(dir, kept);
}

TEST_F(EvalResumeTest, CtrlCStopsCleanlyThenResumeCompletes) {
  const std::string dir = base_ + "/interrupted";
  const pid_t pid = Spawn(EvalArgv(dir, false), dir + ".log");
  ASSERT_GT(pid, 0);
  SignalAfter(pid, dir + "/records.jsonl", 30, SIGINT);
  EXPECT_EQ(Wait(pid), 130) << Log(dir + ".log");
  EXPECT_THAT(Log(dir + ".log"), ::testing::HasSubstr("--resume"));
  const size_t kept = CountLines(dir + "/records.jsonl");
  ASSERT_LT(kept, static_cast<size_t>(kTotalCalls));
  // A clean stop writes whole lines only, and the partial report says so.
  std::ifstream in(dir + "/records.jsonl");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_THAT(Log(dir + "/report.md"), ::testing::HasSubstr("Interrupted"));
  ExpectResumedEqualsWhole(dir, kept);
}

}  // namespace
