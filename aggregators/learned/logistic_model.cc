#include "aggregators/learned/logistic_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ptc::learned {
namespace {

double Sigmoid(double z) {
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

// Solves A x = b for a symmetric positive definite A (n x n, row-major) by Cholesky; false when
// A is not positive definite.
bool SolveSpd(std::vector<double> a, std::vector<double> b, size_t n, std::vector<double>& x) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  for (size_t i = 0; i < n; ++i) {  // L y = b
    double s = b[i];
    for (size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {  // L^T x = y
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= a[k * n + i] * b[k];
    b[i] = s / a[i * n + i];
  }
  x = std::move(b);
  return true;
}

}  // namespace

LogisticModel::LogisticModel(std::vector<double> mean, std::vector<double> scale,
                             std::vector<double> weights, double bias)
    : mean_(std::move(mean)), scale_(std::move(scale)), weights_(std::move(weights)), bias_(bias) {}

absl::StatusOr<LogisticModel> LogisticModel::Train(const std::vector<float>& rows, size_t columns,
                                                   const std::vector<float>& labels,
                                                   const LogisticOptions& options) {
  const size_t n = labels.size();
  if (n == 0 || columns == 0 || rows.size() != n * columns) {
    return absl::InvalidArgumentError(absl::StrCat("logistic regression: ", n, " labels for ",
                                                   rows.size(), " values in ", columns,
                                                   " columns"));
  }
  double positives = 0;
  for (float y : labels) positives += y > 0.5f ? 1 : 0;
  if (positives == 0 || positives == n) {
    return absl::InvalidArgumentError("logistic regression: the labels are all of one class");
  }

  // Standardise.
  std::vector<double> mean(columns, 0), scale(columns, 1);
  for (size_t c = 0; c < columns; ++c) {
    double sum = 0, sq = 0;
    size_t count = 0;
    for (size_t r = 0; r < n; ++r) {
      const double v = rows[r * columns + c];
      if (std::isnan(v)) continue;
      sum += v;
      sq += v * v;
      ++count;
    }
    if (count == 0) continue;
    mean[c] = sum / count;
    const double var = sq / count - mean[c] * mean[c];
    scale[c] = var > 1e-12 ? std::sqrt(var) : 1;
  }
  const size_t d = columns + 1;  // weights, then the intercept
  std::vector<double> x(n * d);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < columns; ++c) {
      const double v = rows[r * columns + c];
      x[r * d + c] = std::isnan(v) ? 0 : (v - mean[c]) / scale[c];
    }
    x[r * d + columns] = 1;
  }

  std::vector<double> w(d, 0);
  w[columns] = std::log(positives / (n - positives));
  for (int it = 0; it < options.max_iterations; ++it) {
    std::vector<double> grad(d, 0), hess(d * d, 0);
    for (size_t r = 0; r < n; ++r) {
      const double* xr = &x[r * d];
      double z = 0;
      for (size_t j = 0; j < d; ++j) z += w[j] * xr[j];
      const double p = Sigmoid(z);
      const double g = p - labels[r];
      const double h = std::max(p * (1 - p), 1e-12);
      for (size_t j = 0; j < d; ++j) {
        grad[j] += g * xr[j];
        if (xr[j] == 0) continue;
        for (size_t k = 0; k <= j; ++k) hess[j * d + k] += h * xr[j] * xr[k];
      }
    }
    for (size_t j = 0; j < d; ++j) {
      for (size_t k = 0; k < j; ++k) hess[k * d + j] = hess[j * d + k];
      const double penalty = j < columns ? options.l2 : 1e-9;
      grad[j] += penalty * w[j];
      hess[j * d + j] += penalty;
    }
    std::vector<double> step;
    if (!SolveSpd(hess, grad, d, step)) {
      return absl::InternalError("logistic regression: the Hessian is not positive definite");
    }
    double largest = 0;
    for (size_t j = 0; j < d; ++j) {
      w[j] -= step[j];
      largest = std::max(largest, std::abs(step[j]));
    }
    if (largest < 1e-9) break;
  }
  const double bias = w[columns];
  w.resize(columns);
  return LogisticModel(std::move(mean), std::move(scale), std::move(w), bias);
}

std::vector<double> LogisticModel::Predict(const std::vector<float>& rows) const {
  const size_t columns = weights_.size();
  const size_t n = columns == 0 ? 0 : rows.size() / columns;
  std::vector<double> out(n);
  for (size_t r = 0; r < n; ++r) {
    double z = bias_;
    for (size_t c = 0; c < columns; ++c) {
      const double v = rows[r * columns + c];
      if (!std::isnan(v)) z += weights_[c] * (v - mean_[c]) / scale_[c];
    }
    out[r] = Sigmoid(z);
  }
  return out;
}

}  // namespace ptc::learned
