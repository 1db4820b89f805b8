// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev), the learned scorer's
// main model kind: binary:logistic on the candidate features, NaN as missing.
//
// The booster is kept as XGBoost's Universal Binary JSON (`Serialize`), which the model file
// embeds in base64. Prediction runs single-threaded (nthread = 1: a request scores a handful of
// rows, and the server's threads are its parallelism) under a mutex, since XGBoost keeps
// prediction buffers per booster. Training is single-threaded too, so that a model is the same
// bytes for the same rows and options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ptc::learned {

struct XgboostOptions {
  int rounds = 100;
  int max_depth = 3;
  double eta = 0.1;
  double min_child_weight = 5;
  double lambda = 1;
  uint64_t seed = 0;
};

class XgboostModel {
 public:
  // `rows` are row-major, `columns` values each (NaN = missing); labels are 0 or 1.
  static absl::StatusOr<std::unique_ptr<XgboostModel>> Train(const std::vector<float>& rows,
                                                             size_t columns,
                                                             const std::vector<float>& labels,
                                                             const XgboostOptions& options);
  // A booster from its Serialize() bytes; `columns` must match its number of features.
  static absl::StatusOr<std::unique_ptr<XgboostModel>> Load(const std::string& bytes,
                                                            size_t columns);
  ~XgboostModel();
  XgboostModel(const XgboostModel&) = delete;
  XgboostModel& operator=(const XgboostModel&) = delete;

  // The booster as Universal Binary JSON.
  absl::StatusOr<std::string> Serialize() const;
  // P(label = 1) of each row (row-major, columns() values each). Thread-safe.
  absl::StatusOr<std::vector<double>> Predict(const std::vector<float>& rows) const;
  size_t columns() const { return columns_; }

 private:
  XgboostModel(void* booster, size_t columns) : booster_(booster), columns_(columns) {}

  mutable std::mutex mu_;
  void* const booster_;  // BoosterHandle, used only with mu_ held
  const size_t columns_;
};

}  // namespace ptc::learned
