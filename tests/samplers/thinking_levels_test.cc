#include "samplers/thinking_levels.h"

#include "gtest/gtest.h"

namespace ptc {
namespace {

TEST(ThinkingLevelsTest, EveryLevelHasABudgetThatGrowsWithIt) {
  uint32_t previous = 0;
  bool first = true;
  for (std::string_view level : EffortLevels()) {
    const std::optional<uint32_t> budget = BudgetForEffort(level);
    ASSERT_TRUE(budget.has_value()) << level;
    if (!first) {
      EXPECT_GT(*budget, previous) << level;
    }
    previous = *budget;
    first = false;
  }
  EXPECT_EQ(BudgetForEffort("none"), 0u);
  EXPECT_EQ(BudgetForEffort("minimal"), 1024u);  // Anthropic's smallest budget
  EXPECT_EQ(BudgetForEffort("High"), std::nullopt);
  EXPECT_EQ(BudgetForEffort(""), std::nullopt);
}

TEST(ThinkingLevelsTest, BudgetsMapToTheCommonLevels) {
  EXPECT_EQ(EffortForBudget(1), "low");
  EXPECT_EQ(EffortForBudget(2048), "low");
  EXPECT_EQ(EffortForBudget(2049), "medium");
  EXPECT_EQ(EffortForBudget(8192), "medium");
  EXPECT_EQ(EffortForBudget(8193), "high");
  // A level's own budget maps back to it, for the three every backend takes.
  for (std::string_view level : {"low", "medium", "high"}) {
    EXPECT_EQ(EffortForBudget(*BudgetForEffort(level)), level);
  }
}

}  // namespace
}  // namespace ptc
