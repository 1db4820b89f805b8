#include "samplers/thinking_levels.h"

#include <array>
#include <utility>

namespace ptc {
namespace {

constexpr std::array<std::pair<std::string_view, uint32_t>, 7> kLevels = {{
    {"none", 0},
    {"minimal", 1024},
    {"low", 2048},
    {"medium", 8192},
    {"high", 16384},
    {"xhigh", 24576},
    {"max", 32768},
}};

constexpr std::array<std::string_view, 7> kNames = {"none", "minimal", "low", "medium",
                                                    "high", "xhigh",   "max"};

}  // namespace

std::span<const std::string_view> EffortLevels() { return kNames; }

std::optional<uint32_t> BudgetForEffort(std::string_view effort) {
  for (const auto& [name, budget] : kLevels) {
    if (name == effort) return budget;
  }
  return std::nullopt;
}

std::string_view EffortForBudget(uint32_t budget) {
  if (budget <= 2048) return "low";
  if (budget <= 8192) return "medium";
  return "high";
}

}  // namespace ptc
