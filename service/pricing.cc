#include "service/pricing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ptc {
namespace {
std::string Key(const std::string& backend, const std::string& model) {
  return absl::StrCat(backend, std::string(1, '\0'), model);
}
}  // namespace

PriceTable::PriceTable(const google::protobuf::RepeatedPtrField<v1::ModelPrice>& prices) {
  for (const auto& p : prices) prices_[Key(p.backend(), p.model())] = p;
}

const v1::ModelPrice& PriceTable::Find(const std::string& backend, const std::string& model) const {
  if (auto it = prices_.find(Key(backend, model)); it != prices_.end()) return it->second;
  if (auto it = prices_.find(Key(backend, "")); it != prices_.end()) return it->second;
  return zero_;
}

double PriceTable::Cost(const std::string& backend, const std::string& model,
                        const TokenUsage& u) const {
  const v1::ModelPrice& p = Find(backend, model);
  const uint64_t cached = std::min(u.cached_prompt, u.prompt);
  const double cached_price =
      p.has_cached_input_usd_per_mtok() ? p.cached_input_usd_per_mtok() : p.input_usd_per_mtok();
  return ((u.prompt - cached) * p.input_usd_per_mtok() + cached * cached_price +
          u.output() * p.output_usd_per_mtok()) /
         1e6;
}

bool PriceTable::IsPricedModel(const std::string& backend, const std::string& model) const {
  return prices_.contains(Key(backend, model));
}

}  // namespace ptc
