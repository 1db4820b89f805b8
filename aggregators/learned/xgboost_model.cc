#include "aggregators/learned/xgboost_model.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "xgboost/c_api.h"

namespace ptc::learned {
namespace {

absl::Status XgbError(const char* what) {
  return absl::InternalError(absl::StrCat("xgboost: ", what, ": ", XGBGetLastError()));
}

// A DMatrix that frees itself.
class Matrix {
 public:
  ~Matrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  static absl::StatusOr<std::unique_ptr<Matrix>> Create(const std::vector<float>& rows,
                                                        size_t columns) {
    auto m = std::unique_ptr<Matrix>(new Matrix());
    const bst_ulong n = columns == 0 ? 0 : rows.size() / columns;
    if (XGDMatrixCreateFromMat(rows.data(), n, columns, std::numeric_limits<float>::quiet_NaN(),
                               &m->handle_) != 0) {
      return XgbError("creating a matrix");
    }
    return m;
  }
  DMatrixHandle handle() const { return handle_; }

 private:
  Matrix() = default;
  DMatrixHandle handle_ = nullptr;
};

absl::Status SetParam(BoosterHandle b, const char* name, const std::string& value) {
  if (XGBoosterSetParam(b, name, value.c_str()) != 0) return XgbError(name);
  return absl::OkStatus();
}

// Serving settings: quiet, single-threaded.
absl::Status ServingParams(BoosterHandle b) {
  if (absl::Status s = SetParam(b, "nthread", "1"); !s.ok()) return s;
  return SetParam(b, "verbosity", "0");
}

}  // namespace

absl::StatusOr<std::unique_ptr<XgboostModel>> XgboostModel::Train(const std::vector<float>& rows,
                                                                  size_t columns,
                                                                  const std::vector<float>& labels,
                                                                  const XgboostOptions& options) {
  if (labels.empty() || columns == 0 || rows.size() != labels.size() * columns) {
    return absl::InvalidArgumentError(absl::StrCat("xgboost: ", labels.size(), " labels for ",
                                                   rows.size(), " values in ", columns,
                                                   " columns"));
  }
  auto data = Matrix::Create(rows, columns);
  if (!data.ok()) return data.status();
  if (XGDMatrixSetFloatInfo((*data)->handle(), "label", labels.data(), labels.size()) != 0) {
    return XgbError("setting labels");
  }
  DMatrixHandle train[] = {(*data)->handle()};
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(train, 1, &booster) != 0) return XgbError("creating a booster");
  auto model = std::unique_ptr<XgboostModel>(new XgboostModel(booster, columns));
  const std::pair<const char*, std::string> params[] = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"tree_method", "hist"},
      {"nthread", "1"},
      {"verbosity", "0"},
      {"max_depth", absl::StrCat(options.max_depth)},
      {"eta", absl::StrCat(options.eta)},
      {"min_child_weight", absl::StrCat(options.min_child_weight)},
      {"lambda", absl::StrCat(options.lambda)},
      {"seed", absl::StrCat(options.seed)},
  };
  for (const auto& [name, value] : params) {
    if (absl::Status s = SetParam(booster, name, value); !s.ok()) return s;
  }
  for (int i = 0; i < options.rounds; ++i) {
    if (XGBoosterUpdateOneIter(booster, i, (*data)->handle()) != 0) return XgbError("training");
  }
  return model;
}

absl::StatusOr<std::unique_ptr<XgboostModel>> XgboostModel::Load(const std::string& bytes,
                                                                 size_t columns) {
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) return XgbError("creating a booster");
  auto model = std::unique_ptr<XgboostModel>(new XgboostModel(booster, columns));
  if (XGBoosterLoadModelFromBuffer(booster, bytes.data(), bytes.size()) != 0) {
    return XgbError("reading the booster");
  }
  if (absl::Status s = ServingParams(booster); !s.ok()) return s;
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster, &features) != 0) return XgbError("reading the booster");
  if (features != columns) {
    return absl::InvalidArgumentError(
        absl::StrCat("the booster takes ", features, " features, the model file lists ", columns));
  }
  return model;
}

XgboostModel::~XgboostModel() {
  if (booster_ != nullptr) XGBoosterFree(booster_);
}

absl::StatusOr<std::string> XgboostModel::Serialize() const {
  std::lock_guard<std::mutex> lock(mu_);
  bst_ulong len = 0;
  const char* data = nullptr;
  if (XGBoosterSaveModelToBuffer(booster_, R"({"format": "ubj"})", &len, &data) != 0) {
    return XgbError("saving the booster");
  }
  return std::string(data, len);
}

absl::StatusOr<std::vector<double>> XgboostModel::Predict(const std::vector<float>& rows) const {
  if (columns_ == 0 || rows.size() % columns_ != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("xgboost: ", rows.size(), " values are not rows of ", columns_));
  }
  if (rows.empty()) return std::vector<double>();
  auto data = Matrix::Create(rows, columns_);
  if (!data.ok()) return data.status();
  std::lock_guard<std::mutex> lock(mu_);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromDMatrix(
          booster_, (*data)->handle(),
          R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
          R"( "strict_shape": false})",
          &shape, &dim, &result) != 0) {
    return XgbError("predicting");
  }
  const size_t n = rows.size() / columns_;
  return std::vector<double>(result, result + n);
}

}  // namespace ptc::learned
