#include "aggregators/extract/extractor_cache.h"

#include "gtest/gtest.h"

namespace ptc {
namespace {

v1::AnswerFormat Regex(const std::string& pattern) {
  v1::AnswerFormat f;
  f.mutable_regex()->set_pattern(pattern);
  return f;
}

TEST(ExtractorCacheTest, EqualFormatsShareOneExtractor) {
  auto a = SharedAnswerExtractor(Regex("Answer: (\\d+)"));
  auto b = SharedAnswerExtractor(Regex("Answer: (\\d+)"));
  auto c = SharedAnswerExtractor(Regex("Final: (\\d+)"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_NE(a->get(), c->get());
  EXPECT_EQ((*a)->Extract("Answer: 42").value, "42");
  EXPECT_FALSE((*c)->Extract("Answer: 42").parseable);
}

TEST(ExtractorCacheTest, ErrorsAreReturnedEachTime) {
  EXPECT_FALSE(SharedAnswerExtractor(Regex("(")).ok());
  EXPECT_FALSE(SharedAnswerExtractor(Regex("(")).ok());
}

TEST(ExtractorCacheTest, StaysBoundedAndKeepsWorking) {
  auto first = SharedAnswerExtractor(Regex("Answer: (\\d+)"));
  ASSERT_TRUE(first.ok());
  for (size_t i = 0; i < 2 * kMaxCachedAnswerFormats; ++i) {
    ASSERT_TRUE(SharedAnswerExtractor(Regex("A" + std::to_string(i) + ": (\\d+)")).ok());
  }
  // An extractor a request still holds stays valid after the cache started over.
  EXPECT_EQ((*first)->Extract("Answer: 7").value, "7");
  auto again = SharedAnswerExtractor(Regex("Answer: (\\d+)"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Extract("Answer: 8").value, "8");
}

}  // namespace
}  // namespace ptc
