// How much a chain may think, in the two forms backends take: a token budget (Anthropic's
// extended thinking, the simulated model) or an effort level (OpenAI reasoning models, Anthropic's
// adaptive thinking). A request may give either; the plan converts it to what the chosen backend
// takes, with these tables, so one sweep can span backends of both kinds.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ptc {

// The effort levels ptc knows (ReasoningEffort in the OpenAI document), from least to most
// thinking. "none" turns thinking off.
std::span<const std::string_view> EffortLevels();

// The token budget that stands for an effort level: none 0, minimal 1024, low 2048, medium 8192,
// high 16384, xhigh 24576, max 32768. nullopt for an unknown level.
std::optional<uint32_t> BudgetForEffort(std::string_view effort);

// The effort level that stands for a token budget (> 0): up to 2048 "low", up to 8192 "medium",
// above "high" -- the three levels every effort-taking backend accepts.
std::string_view EffortForBudget(uint32_t budget);

}  // namespace ptc
