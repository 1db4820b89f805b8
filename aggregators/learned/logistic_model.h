// L2-regularised logistic regression, the learned scorer's second model kind: small, readable
// (its weights are in the model file), and a baseline for the gradient-boosted trees.
//
// Features are standardised with the training rows' mean and standard deviation (missing values,
// NaN, are left out of both); a missing value then counts as the mean (0 after standardising).
// Training is Newton's method on the penalised log-likelihood (the intercept is not penalised),
// deterministic for given rows.
//
// Immutable after training or parsing; Predict is thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"

namespace ptc::learned {

struct LogisticOptions {
  double l2 = 1.0;          // penalty on the standardised weights, as lambda * |w|^2 / 2
  int max_iterations = 50;  // Newton steps; stops earlier once the step is below 1e-9
};

class LogisticModel {
 public:
  LogisticModel(std::vector<double> mean, std::vector<double> scale, std::vector<double> weights,
                double bias);

  // `rows` are row-major, `columns` values each; labels are 0 or 1. INVALID_ARGUMENT for no
  // rows, mismatched sizes, or labels of one class only.
  static absl::StatusOr<LogisticModel> Train(const std::vector<float>& rows, size_t columns,
                                             const std::vector<float>& labels,
                                             const LogisticOptions& options);

  // P(label = 1) of each row (row-major, columns() values each).
  std::vector<double> Predict(const std::vector<float>& rows) const;

  size_t columns() const { return weights_.size(); }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }
  const std::vector<double>& weights() const { return weights_; }
  double bias() const { return bias_; }

 private:
  std::vector<double> mean_, scale_, weights_;
  double bias_ = 0;
};

}  // namespace ptc::learned
