#include "service/pricing.h"

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

google::protobuf::RepeatedPtrField<v1::ModelPrice> Prices(const std::string& text) {
  v1::ServerConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c));
  return c.pricing();
}

TEST(PriceTableTest, ReasoningBilledAsOutputAndCachedPromptAtCachedPrice) {
  PriceTable t(Prices(R"pb(
    pricing {
      backend: "a"
      model: "m"
      input_usd_per_mtok: 3
      output_usd_per_mtok: 15
      cached_input_usd_per_mtok: 0.3
    }
    pricing { backend: "a" input_usd_per_mtok: 1 output_usd_per_mtok: 2 }
  )pb"));
  TokenUsage u;
  u.prompt = 1'000'000;
  u.cached_prompt = 400'000;
  u.completion = 100'000;
  u.reasoning = 900'000;
  // 600k uncached at 3, 400k cached at 0.3, 1M output (visible + thinking) at 15.
  EXPECT_NEAR(t.Cost("a", "m", u), 1.8 + 0.12 + 15.0, 1e-9);
  // The catch-all price has no cached price: cached tokens pay the input price.
  EXPECT_NEAR(t.Cost("a", "other", u), 1.0 + 2.0, 1e-9);
  EXPECT_EQ(t.Cost("b", "m", u), 0.0);
  EXPECT_TRUE(t.IsPricedModel("a", "m"));
  EXPECT_FALSE(t.IsPricedModel("a", "other"));
}

TEST(PriceTableTest, CachedCountAboveThePromptIsClamped) {
  PriceTable t(Prices(R"pb(
    pricing {
      backend: "a"
      input_usd_per_mtok: 2
      output_usd_per_mtok: 0
      cached_input_usd_per_mtok: 1
    }
  )pb"));
  TokenUsage u;
  u.prompt = 1'000'000;
  u.cached_prompt = 5'000'000;
  EXPECT_NEAR(t.Cost("a", "x", u), 1.0, 1e-9);
}

}  // namespace
}  // namespace ptc
