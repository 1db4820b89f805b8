#include "aggregators/learned/scorer_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "aggregators/learned/features.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptc::learned {
namespace {

const size_t kColumns = FeatureNames().size();

// Rows where the label is 1 when column 0 plus noise is above 0.5; column 1 is missing in a
// third of the rows; the others are noise.
void Synthetic(size_t n, std::vector<float>& rows, std::vector<float>& labels) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  std::normal_distribution<float> noise(0, 0.1f);
  for (size_t r = 0; r < n; ++r) {
    const float x = u(rng);
    for (size_t c = 0; c < kColumns; ++c) {
      if (c == 0) {
        rows.push_back(x);
      } else if (c == 1 && r % 3 == 0) {
        rows.push_back(std::numeric_limits<float>::quiet_NaN());
      } else {
        rows.push_back(u(rng));
      }
    }
    labels.push_back(x + noise(rng) > 0.5f ? 1 : 0);
  }
}

std::string TempFile(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (std::string("ptc_scorer_model_") + info->name());
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::shared_ptr<ScorerModel> Trained(ModelKind kind) {
  std::vector<float> rows, labels;
  Synthetic(600, rows, labels);
  std::unique_ptr<LogisticModel> logistic;
  std::unique_ptr<XgboostModel> xgb;
  if (kind == ModelKind::kLogistic) {
    auto m = LogisticModel::Train(rows, kColumns, labels, {});
    EXPECT_TRUE(m.ok()) << m.status();
    logistic = std::make_unique<LogisticModel>(*std::move(m));
  } else {
    XgboostOptions o;
    o.rounds = 20;
    auto m = XgboostModel::Train(rows, kColumns, labels, o);
    EXPECT_TRUE(m.ok()) << m.status();
    xgb = *std::move(m);
  }
  TrainingSummary t;
  t.records = "synthetic";
  t.ns = {8, 32};
  t.holdout_accuracy = 0.9;
  return std::make_shared<ScorerModel>(kind, 64, t, std::move(logistic), std::move(xgb));
}

class ScorerModelTest : public ::testing::TestWithParam<ModelKind> {};

TEST_P(ScorerModelTest, LearnsTheSignalAndRoundTripsThroughItsFile) {
  std::shared_ptr<ScorerModel> model = Trained(GetParam());
  std::vector<float> low(kColumns, 0.5f), high(kColumns, 0.5f);
  low[0] = 0.1f;
  high[0] = 0.9f;
  std::vector<float> rows = low;
  rows.insert(rows.end(), high.begin(), high.end());
  rows.insert(rows.end(), kColumns, std::numeric_limits<float>::quiet_NaN());  // all missing
  auto p = model->Predict(rows);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_LT((*p)[0], 0.2);
  EXPECT_GT((*p)[1], 0.8);
  EXPECT_TRUE(std::isfinite((*p)[2]));

  auto bytes = model->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(model->version().size(), 16u);
  EXPECT_EQ(model->version(), ModelVersion(*bytes));
  const std::string path = TempFile("m.json");
  Write(path, *bytes);
  auto loaded = ScorerModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->kind(), GetParam());
  EXPECT_EQ((*loaded)->version(), model->version());
  EXPECT_EQ((*loaded)->confidence_window(), 64u);
  EXPECT_EQ((*loaded)->training().records, "synthetic");
  EXPECT_EQ((*loaded)->training().ns, (std::vector<uint32_t>{8, 32}));
  auto q = (*loaded)->Predict(rows);
  ASSERT_TRUE(q.ok()) << q.status();
  for (size_t i = 0; i < p->size(); ++i) EXPECT_FLOAT_EQ((*q)[i], (*p)[i]);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

INSTANTIATE_TEST_SUITE_P(Kinds, ScorerModelTest,
                         ::testing::Values(ModelKind::kXgboost, ModelKind::kLogistic),
                         [](const auto& info) { return std::string(KindName(info.param)); });

TEST(ScorerModelFileTest, TrainingIsDeterministic) {
  for (ModelKind kind : {ModelKind::kXgboost, ModelKind::kLogistic}) {
    auto a = Trained(kind)->Serialize();
    auto b = Trained(kind)->Serialize();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << KindName(kind);
  }
}

TEST(ScorerModelFileTest, BadFilesAreErrorsNamingTheFile) {
  auto good = Trained(ModelKind::kLogistic)->Serialize();
  ASSERT_TRUE(good.ok());
  const nlohmann::json base = nlohmann::json::parse(*good);
  struct Case {
    const char* what;
    std::string bytes;
    const char* message;
  };
  auto edit = [&base](auto f) {
    nlohmann::json j = base;
    f(j);
    return j.dump();
  };
  const std::vector<Case> cases = {
      {"not json", "{oops", "not a JSON object"},
      {"format", edit([](auto& j) { j["format"] = "other"; }), "\"format\" is not"},
      {"format version", edit([](auto& j) { j["format_version"] = 2; }), "\"format_version\""},
      {"feature version", edit([](auto& j) { j["feature_version"] = 0; }), "retrain it"},
      {"feature list", edit([](auto& j) { j["features"][0] = "share"; }), "retrain it"},
      {"kind", edit([](auto& j) { j["kind"] = "forest"; }), "\"kind\" is \"forest\""},
      {"weights", edit([](auto& j) { j["logistic"]["weights"].erase(0); }), "\"weights\""},
      {"scale", edit([](auto& j) { j["logistic"]["scale"][3] = 0; }), "\"scale\""},
      {"window", edit([](auto& j) { j["confidence_window"] = -1; }), "confidence_window"},
      {"booster", edit([](auto& j) {
         j["kind"] = "xgboost";
         j["xgboost"] = {{"encoding", "ubj-base64"}, {"booster", "!!!"}};
       }),
       "base64"},
      {"booster bytes", edit([](auto& j) {
         j["kind"] = "xgboost";
         j["xgboost"] = {{"encoding", "ubj-base64"}, {"booster", "AAAA"}};
       }),
       "xgboost"},
  };
  for (const Case& c : cases) {
    const std::string path = TempFile("bad.json");
    Write(path, c.bytes);
    auto m = ScorerModel::Load(path);
    ASSERT_FALSE(m.ok()) << c.what;
    EXPECT_NE(m.status().message().find(path), std::string::npos) << m.status();
    EXPECT_NE(m.status().message().find(c.message), std::string::npos)
        << c.what << ": " << m.status();
  }
  const std::string nope = TempFile("nope.json");
  auto missing = ScorerModel::Load(nope);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  std::filesystem::remove_all(std::filesystem::path(nope).parent_path());
}

TEST(LogisticModelTest, RefusesDegenerateTrainingData) {
  std::vector<float> rows(kColumns * 4, 1.0f);
  EXPECT_FALSE(LogisticModel::Train(rows, kColumns, {1, 1, 1, 1}, {}).ok());
  EXPECT_FALSE(LogisticModel::Train(rows, kColumns, {1, 0, 1}, {}).ok());
  EXPECT_FALSE(LogisticModel::Train({}, kColumns, {}, {}).ok());
  // Constant columns are fine: their weights stay at zero.
  auto m = LogisticModel::Train(rows, kColumns, {1, 0, 1, 0}, {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->Predict(std::vector<float>(kColumns, 1.0f))[0], 0.5, 1e-6);
}

}  // namespace
}  // namespace ptc::learned
