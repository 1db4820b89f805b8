#include "aggregators/learned/scorer_model.h"

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "aggregators/learned/features.h"
#include "common/sha256.h"
#include "nlohmann/json.hpp"

namespace ptc::learned {
namespace {

constexpr char kFormat[] = "ptc-scorer";
constexpr int kFormatVersion = 1;
constexpr char kEncoding[] = "ubj-base64";

nlohmann::json SummaryToJson(const TrainingSummary& t) {
  return {{"records", t.records},
          {"ns", t.ns},
          {"holdout_fraction", t.holdout_fraction},
          {"split_seed", t.split_seed},
          {"train_questions", t.train_questions},
          {"holdout_questions", t.holdout_questions},
          {"train_selections", t.train_selections},
          {"holdout_selections", t.holdout_selections},
          {"train_candidates", t.train_candidates},
          {"holdout_candidates", t.holdout_candidates},
          {"train_log_loss", t.train_log_loss},
          {"holdout_log_loss", t.holdout_log_loss},
          {"train_accuracy", t.train_accuracy},
          {"holdout_accuracy", t.holdout_accuracy},
          {"train_majority_accuracy", t.train_majority_accuracy},
          {"holdout_majority_accuracy", t.holdout_majority_accuracy}};
}

// The summary is informational: missing or mistyped fields are left at their defaults.
TrainingSummary SummaryFromJson(const nlohmann::json& j) {
  TrainingSummary t;
  if (!j.is_object()) return t;
  auto get = [&j](const char* key, auto& out) {
    auto it = j.find(key);
    if (it == j.end()) return;
    try {
      it->get_to(out);
    } catch (const nlohmann::json::exception&) {
    }
  };
  get("records", t.records);
  get("ns", t.ns);
  get("holdout_fraction", t.holdout_fraction);
  get("split_seed", t.split_seed);
  get("train_questions", t.train_questions);
  get("holdout_questions", t.holdout_questions);
  get("train_selections", t.train_selections);
  get("holdout_selections", t.holdout_selections);
  get("train_candidates", t.train_candidates);
  get("holdout_candidates", t.holdout_candidates);
  get("train_log_loss", t.train_log_loss);
  get("holdout_log_loss", t.holdout_log_loss);
  get("train_accuracy", t.train_accuracy);
  get("holdout_accuracy", t.holdout_accuracy);
  get("train_majority_accuracy", t.train_majority_accuracy);
  get("holdout_majority_accuracy", t.holdout_majority_accuracy);
  return t;
}

// Reads an array of `size` numbers at j[key].
absl::StatusOr<std::vector<double>> Numbers(const nlohmann::json& j, const char* key, size_t size) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != size) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"logistic\".\"", key, "\" must be an array of ", size, " numbers"));
  }
  std::vector<double> out;
  for (const auto& v : *it) {
    if (!v.is_number()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"logistic\".\"", key, "\" must be an array of ", size, " numbers"));
    }
    out.push_back(v.get<double>());
  }
  return out;
}

absl::StatusOr<std::shared_ptr<ScorerModel>> ParseJson(const std::string& bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  if (j.value("format", "") != kFormat) {
    return absl::InvalidArgumentError(absl::StrCat("\"format\" is not \"", kFormat, "\""));
  }
  if (!j.contains("format_version") || !j["format_version"].is_number_integer() ||
      j["format_version"].get<int>() != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"format_version\" is not ", kFormatVersion, " (written by another ptc)"));
  }
  const std::vector<std::string>& names = FeatureNames();
  std::vector<std::string> features;
  if (!j.contains("feature_version") || !j["feature_version"].is_number_integer() ||
      !j.contains("features") || !j["features"].is_array()) {
    return absl::InvalidArgumentError("\"feature_version\" or \"features\" missing or mistyped");
  }
  for (const auto& f : j["features"])
    features.push_back(f.is_string() ? f.get<std::string>() : "?");
  const int feature_version = j["feature_version"].get<int>();
  if (feature_version != kFeatureVersion || features != names) {
    return absl::InvalidArgumentError(
        absl::StrCat("trained on features v", feature_version, " [", absl::StrJoin(features, ","),
                     "], but this server computes v", kFeatureVersion, " [",
                     absl::StrJoin(names, ","), "]: retrain it with ptc train-scorer"));
  }
  const auto window = j.find("confidence_window");
  if (window == j.end() || !window->is_number_unsigned()) {
    return absl::InvalidArgumentError("\"confidence_window\" missing or not a whole number");
  }
  const std::string kind = j.value("kind", "");
  TrainingSummary training = SummaryFromJson(j.value("training", nlohmann::json::object()));
  if (kind == "logistic") {
    auto it = j.find("logistic");
    if (it == j.end() || !it->is_object()) {
      return absl::InvalidArgumentError("kind \"logistic\" without a \"logistic\" object");
    }
    auto mean = Numbers(*it, "mean", names.size());
    if (!mean.ok()) return mean.status();
    auto scale = Numbers(*it, "scale", names.size());
    if (!scale.ok()) return scale.status();
    for (double s : *scale) {
      if (!(s > 0)) return absl::InvalidArgumentError("\"logistic\".\"scale\" must be positive");
    }
    auto weights = Numbers(*it, "weights", names.size());
    if (!weights.ok()) return weights.status();
    auto bias = it->find("bias");
    if (bias == it->end() || !bias->is_number()) {
      return absl::InvalidArgumentError("\"logistic\".\"bias\" missing or not a number");
    }
    return std::make_shared<ScorerModel>(
        ModelKind::kLogistic, window->get<uint32_t>(), std::move(training),
        std::make_unique<LogisticModel>(*std::move(mean), *std::move(scale), *std::move(weights),
                                        bias->get<double>()),
        nullptr);
  }
  if (kind == "xgboost") {
    auto it = j.find("xgboost");
    if (it == j.end() || !it->is_object() || it->value("encoding", "") != kEncoding ||
        !it->contains("booster") || !(*it)["booster"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kind \"xgboost\" needs an \"xgboost\" object with \"encoding\": \"",
                       kEncoding, "\" and a \"booster\" string"));
    }
    std::string booster;
    if (!absl::Base64Unescape((*it)["booster"].get<std::string>(), &booster)) {
      return absl::InvalidArgumentError("\"xgboost\".\"booster\" is not base64");
    }
    auto model = XgboostModel::Load(booster, names.size());
    if (!model.ok()) return model.status();
    return std::make_shared<ScorerModel>(ModelKind::kXgboost, window->get<uint32_t>(),
                                         std::move(training), nullptr, *std::move(model));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"kind\" is \"", kind, "\", not \"xgboost\" or \"logistic\""));
}

}  // namespace

const char* KindName(ModelKind kind) {
  return kind == ModelKind::kXgboost ? "xgboost" : "logistic";
}

std::string ModelVersion(const std::string& bytes) { return Sha256Hex(bytes).substr(0, 16); }

ScorerModel::ScorerModel(ModelKind kind, uint32_t confidence_window, TrainingSummary training,
                         std::unique_ptr<LogisticModel> logistic,
                         std::unique_ptr<XgboostModel> xgboost)
    : kind_(kind),
      confidence_window_(confidence_window),
      training_(std::move(training)),
      logistic_(std::move(logistic)),
      xgboost_(std::move(xgboost)) {}

absl::StatusOr<std::shared_ptr<const ScorerModel>> ScorerModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("scorer model ", path, ": cannot read it"));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InternalError(absl::StrCat("scorer model ", path, ": read error"));
  return Parse(bytes, path);
}

absl::StatusOr<std::shared_ptr<const ScorerModel>> ScorerModel::Parse(const std::string& bytes,
                                                                      const std::string& origin) {
  auto model = ParseJson(bytes);
  if (!model.ok()) {
    return absl::Status(model.status().code(),
                        absl::StrCat("scorer model ", origin, ": ", model.status().message()));
  }
  (*model)->version_ = ModelVersion(bytes);
  return std::shared_ptr<const ScorerModel>(*std::move(model));
}

absl::StatusOr<std::string> ScorerModel::Serialize() {
  nlohmann::json j = {{"format", kFormat},
                      {"format_version", kFormatVersion},
                      {"kind", KindName(kind_)},
                      {"feature_version", kFeatureVersion},
                      {"features", FeatureNames()},
                      {"confidence_window", confidence_window_},
                      {"training", SummaryToJson(training_)}};
  if (logistic_ != nullptr) {
    j["logistic"] = {{"mean", logistic_->mean()},
                     {"scale", logistic_->scale()},
                     {"weights", logistic_->weights()},
                     {"bias", logistic_->bias()}};
  }
  if (xgboost_ != nullptr) {
    auto booster = xgboost_->Serialize();
    if (!booster.ok()) return booster.status();
    j["xgboost"] = {{"encoding", kEncoding}, {"booster", absl::Base64Escape(*booster)}};
  }
  std::string bytes = j.dump(1) + "\n";
  version_ = ModelVersion(bytes);
  return bytes;
}

absl::StatusOr<std::vector<double>> ScorerModel::Predict(const std::vector<float>& rows) const {
  if (xgboost_ != nullptr) return xgboost_->Predict(rows);
  if (logistic_ != nullptr) return logistic_->Predict(rows);
  return absl::FailedPreconditionError("the scorer model has no parameters");
}

}  // namespace ptc::learned
