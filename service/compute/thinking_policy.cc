#include "service/compute/thinking_policy.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregators/learned/model_store.h"
#include "common/sha256.h"
#include "nlohmann/json.hpp"
#include "service/compute/prompt_features.h"

namespace ptc::compute {
namespace {

constexpr char kFormat[] = "ptc-thinking-policy";
constexpr char kSuffix[] = ".json";

absl::Status Bad(const std::string& origin, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(origin, ": ", what));
}

absl::StatusOr<std::vector<double>> Numbers(const nlohmann::json& j, const char* key, size_t size,
                                            const std::string& origin) {
  if (!j.contains(key) || !j[key].is_array() || j[key].size() != size) {
    return Bad(origin, absl::StrCat("logistic.", key, ": must be an array of ", size, " numbers"));
  }
  std::vector<double> out;
  for (const auto& v : j[key]) {
    if (!v.is_number()) return Bad(origin, absl::StrCat("logistic.", key, ": not a number"));
    out.push_back(v.get<double>());
  }
  return out;
}

}  // namespace

ThinkingPolicy::ThinkingPolicy(learned::LogisticModel model, double threshold,
                               std::map<std::string, double> training)
    : model_(std::move(model)), threshold_(threshold), training_(std::move(training)) {}

absl::StatusOr<std::shared_ptr<const ThinkingPolicy>> ThinkingPolicy::Load(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream bytes;
  bytes << in.rdbuf();
  return Parse(bytes.str(), path);
}

absl::StatusOr<std::shared_ptr<const ThinkingPolicy>> ThinkingPolicy::Parse(
    const std::string& bytes, const std::string& origin) {
  const nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad(origin, "not a JSON object");
  if (j.value("format", "") != kFormat || j.value("format_version", 0) != 1) {
    return Bad(origin, absl::StrCat("not a ", kFormat, " file of format_version 1"));
  }
  if (j.value("feature_version", 0) != kPromptFeatureVersion) {
    return Bad(origin, absl::StrCat("feature_version ", j.value("feature_version", 0),
                                    ", this server computes version ", kPromptFeatureVersion));
  }
  if (!j.contains("features") || j["features"] != nlohmann::json(PromptFeatureNames())) {
    return Bad(origin, "features: not the ones this server computes (prompt_features.h)");
  }
  const double threshold = j.value("threshold", 0.5);
  if (!(threshold > 0 && threshold < 1)) return Bad(origin, "threshold: must be in (0, 1)");
  if (!j.contains("logistic") || !j["logistic"].is_object()) return Bad(origin, "no logistic");
  const nlohmann::json& l = j["logistic"];
  const size_t n = PromptFeatureNames().size();
  auto mean = Numbers(l, "mean", n, origin);
  auto scale = Numbers(l, "scale", n, origin);
  auto weights = Numbers(l, "weights", n, origin);
  if (!mean.ok()) return mean.status();
  if (!scale.ok()) return scale.status();
  if (!weights.ok()) return weights.status();
  if (!l.contains("bias") || !l["bias"].is_number()) return Bad(origin, "logistic.bias: missing");
  std::map<std::string, double> training;
  if (j.contains("training") && j["training"].is_object()) {
    for (const auto& [k, v] : j["training"].items()) {
      if (v.is_number()) training[k] = v.get<double>();
    }
  }
  auto policy = std::make_shared<ThinkingPolicy>(
      learned::LogisticModel(*std::move(mean), *std::move(scale), *std::move(weights),
                             l["bias"].get<double>()),
      threshold, std::move(training));
  policy->version_ = Sha256Hex(bytes).substr(0, 16);
  return policy;
}

std::string ThinkingPolicy::Serialize() {
  nlohmann::json j = {{"format", kFormat},
                      {"format_version", 1},
                      {"feature_version", kPromptFeatureVersion},
                      {"features", PromptFeatureNames()},
                      {"threshold", threshold_},
                      {"logistic",
                       {{"mean", model_.mean()},
                        {"scale", model_.scale()},
                        {"weights", model_.weights()},
                        {"bias", model_.bias()}}},
                      {"training", training_}};
  std::string bytes = j.dump(2) + "\n";
  version_ = Sha256Hex(bytes).substr(0, 16);
  return bytes;
}

double ThinkingPolicy::Probability(const std::vector<ChatMessage>& messages) const {
  const std::vector<float> row = PromptFeatures(messages);
  return model_.Predict(row)[0];
}

std::string DefaultPolicyDir() {
  const char* env = std::getenv("PTC_POLICY_DIR");
  if (env != nullptr && *env != '\0') return env;
  return (std::filesystem::path(PTC_SOURCE_DATA_DIR) / "policies").string();
}

PolicyStore& PolicyStore::Default() {
  static auto* store = new PolicyStore(DefaultPolicyDir());
  return *store;
}

absl::StatusOr<std::shared_ptr<const ThinkingPolicy>> PolicyStore::Get(const std::string& name) {
  if (absl::Status s = learned::ValidateModelName(name); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
  }
  const std::string path = (std::filesystem::path(dir_) / absl::StrCat(name, kSuffix)).string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no thinking policy \"", name, "\" (no file ", name, kSuffix, " in ", dir_,
                     "; set PTC_POLICY_DIR or train one with `ptc train-policy`)"));
  }
  auto policy = ThinkingPolicy::Load(path);
  if (!policy.ok()) return policy.status();
  std::lock_guard<std::mutex> lock(mu_);
  return loaded_.try_emplace(name, *policy).first->second;
}

std::vector<std::string> PolicyStore::PreloadAll() {
  std::vector<std::string> errors;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string file = f.path().filename().string();
    if (!absl::EndsWith(file, kSuffix)) continue;
    const std::string name = file.substr(0, file.size() - std::string(kSuffix).size());
    if (!learned::ValidateModelName(name).ok()) continue;
    if (auto p = Get(name); !p.ok()) errors.push_back(std::string(p.status().message()));
  }
  return errors;
}

void PolicyStore::Forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_.erase(name);
}

}  // namespace ptc::compute
