#include "aggregators/extract/extractor_cache.h"

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace ptc {

absl::StatusOr<std::shared_ptr<const AnswerExtractor>> SharedAnswerExtractor(
    const v1::AnswerFormat& format) {
  static std::mutex mu;
  static auto* cache =
      new absl::flat_hash_map<std::string, std::shared_ptr<const AnswerExtractor>>();
  // AnswerFormat has no map fields, so equal formats serialise to equal bytes.
  const std::string key = format.SerializeAsString();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache->find(key); it != cache->end()) return it->second;
  }
  // Built outside the lock: compiling patterns must not hold up other requests' lookups. Two
  // requests racing on a new format both build it; the first one stored wins.
  absl::StatusOr<std::unique_ptr<AnswerExtractor>> built = AnswerExtractor::Create(format);
  if (!built.ok()) return built.status();
  std::shared_ptr<const AnswerExtractor> extractor = *std::move(built);
  std::lock_guard<std::mutex> lock(mu);
  if (cache->size() >= kMaxCachedAnswerFormats) cache->clear();
  return cache->try_emplace(key, std::move(extractor)).first->second;
}

}  // namespace ptc
