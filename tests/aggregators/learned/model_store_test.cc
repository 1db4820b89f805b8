#include "aggregators/learned/model_store.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "aggregators/learned/features.h"
#include "gtest/gtest.h"

namespace ptc::learned {
namespace {

// A logistic model whose bias sets every probability, and its file's bytes.
std::string ModelFile(double bias) {
  const size_t n = FeatureNames().size();
  ScorerModel m(
      ModelKind::kLogistic, 64, {},
      std::make_unique<LogisticModel>(std::vector<double>(n, 0), std::vector<double>(n, 1),
                                      std::vector<double>(n, 0), bias),
      nullptr);
  auto bytes = m.Serialize();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return *bytes;
}

// A store on a fresh directory with a fake clock; checks run inline, when Run() is called.
class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        (std::filesystem::temp_directory_path() / (std::string("ptc_model_store_") + info->name()))
            .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ModelStore::Options o;
    o.dir = dir_;
    o.now = [this] { return now_; };
    o.run_in_background = [this](std::function<void()> f) { pending_.push_back(std::move(f)); };
    o.log = [this](const std::string& line) { logs_.push_back(line); };
    store_ = std::make_unique<ModelStore>(std::move(o));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& bytes) {
    // As train-scorer does: a new file renamed over the old one.
    const std::string path = dir_ + "/" + name;
    std::ofstream(path + ".tmp", std::ios::binary) << bytes;
    std::filesystem::rename(path + ".tmp", path);
  }
  void Run() {
    std::vector<std::function<void()>> run;
    run.swap(pending_);
    for (auto& f : run) f();
  }
  ModelStore::Lookup Get(const std::string& name) {
    auto l = store_->Get(name);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *l : ModelStore::Lookup{};
  }

  std::string dir_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::vector<std::function<void()>> pending_;
  std::vector<std::string> logs_;
  std::unique_ptr<ModelStore> store_;
};

TEST_F(ModelStoreTest, NamesCannotLeaveTheDirectory) {
  for (const std::string& bad : std::vector<std::string>{
           "", "../etc/passwd", "a/b", "..", ".hidden", "a b", "x\\y", std::string(65, 'a')}) {
    auto l = store_->Get(bad);
    ASSERT_FALSE(l.ok()) << bad;
    EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(l.status().message().find("is not a model name"), std::string::npos);
  }
  EXPECT_TRUE(ValidateModelName("sim-gpqa_v2.1").ok());
  EXPECT_TRUE(ValidateModelName(std::string(64, 'a')).ok());
}

TEST_F(ModelStoreTest, AnUnknownNameIsNotFoundAndListsTheModels) {
  Write("one.json", ModelFile(0));
  Write("two.json", ModelFile(0));
  Write("notes.txt", "x");
  auto l = store_->Get("three");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(l.status().message().find("it has one, two)"), std::string::npos) << l.status();
  EXPECT_EQ(store_->Available(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(ModelStoreTest, LoadsOnFirstUseAndReloadsWhenTheFileChanges) {
  Write("m.json", ModelFile(0));
  ModelStore::Lookup first = Get("m");
  ASSERT_NE(first.model, nullptr);
  EXPECT_TRUE(first.error.empty());
  const std::string v1 = first.model->version();

  // Within the check interval: no check, whatever the file does.
  Write("m.json", ModelFile(1));
  now_ += absl::Milliseconds(999);
  EXPECT_EQ(Get("m").model->version(), v1);
  EXPECT_TRUE(pending_.empty());

  // After it: one check, off the caller's thread; the caller keeps the old model until it ran.
  now_ += absl::Milliseconds(1);
  EXPECT_EQ(Get("m").model->version(), v1);
  ASSERT_EQ(pending_.size(), 1u);
  EXPECT_EQ(Get("m").model->version(), v1);
  EXPECT_EQ(pending_.size(), 1u);  // one check at a time
  Run();
  ModelStore::Lookup second = Get("m");
  EXPECT_NE(second.model->version(), v1);
  EXPECT_EQ(second.model->version(), ModelVersion(ModelFile(1)));
  ASSERT_FALSE(logs_.empty());
  EXPECT_NE(logs_.back().find("version " + v1 + " -> version"), std::string::npos) << logs_.back();
  // The first caller's model is unchanged.
  EXPECT_EQ(first.model->version(), v1);

  // An unchanged file is not read again.
  now_ += absl::Seconds(5);
  Get("m");
  const size_t logged = logs_.size();
  Run();
  EXPECT_EQ(logs_.size(), logged);
}

TEST_F(ModelStoreTest, AFailedReloadKeepsTheModelInUse) {
  Write("m.json", ModelFile(0));
  const std::string v1 = Get("m").model->version();
  Write("m.json", "{broken");
  now_ += absl::Seconds(2);
  Get("m");
  Run();
  ModelStore::Lookup l = Get("m");
  ASSERT_NE(l.model, nullptr);
  EXPECT_EQ(l.model->version(), v1);
  EXPECT_NE(l.error.find("keeping version " + v1), std::string::npos) << l.error;
  ASSERT_FALSE(logs_.empty());
  EXPECT_NE(logs_.back().find("reload failed"), std::string::npos);
  EXPECT_NE(logs_.back().find(dir_ + "/m.json"), std::string::npos);

  // The file disappears: still the model in use.
  std::filesystem::remove(dir_ + "/m.json");
  now_ += absl::Seconds(2);
  Get("m");
  Run();
  EXPECT_EQ(Get("m").model->version(), v1);
  EXPECT_NE(logs_.back().find("disappeared"), std::string::npos);

  // A good file again: reloaded, error cleared.
  Write("m.json", ModelFile(2));
  now_ += absl::Seconds(2);
  Get("m");
  Run();
  l = Get("m");
  EXPECT_EQ(l.model->version(), ModelVersion(ModelFile(2)));
  EXPECT_TRUE(l.error.empty());
}

TEST_F(ModelStoreTest, AFileThatNeverLoadedHasNoModelAndSaysWhy) {
  Write("bad.json", "[]");
  ModelStore::Lookup l = Get("bad");
  EXPECT_EQ(l.model, nullptr);
  EXPECT_NE(l.error.find(dir_ + "/bad.json"), std::string::npos) << l.error;
  Write("bad.json", ModelFile(0));
  now_ += absl::Seconds(2);
  Get("bad");
  Run();
  EXPECT_NE(Get("bad").model, nullptr);
}

TEST_F(ModelStoreTest, PreloadAllLoadsEveryModel) {
  Write("a.json", ModelFile(0));
  Write("b.json", ModelFile(1));
  Write("c.json", "nope");
  EXPECT_EQ(store_->PreloadAll(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(logs_.size(), 1u);  // c failed
  EXPECT_NE(Get("a").model, nullptr);
}

}  // namespace
}  // namespace ptc::learned
