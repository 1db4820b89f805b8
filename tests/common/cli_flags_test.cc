#include "common/cli_flags.h"

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, metrics_listen, "", "test flag");
ABSL_FLAG(int, drain_seconds, 0, "test flag");
ABSL_FLAG(bool, dry_run, false, "test flag");

namespace ptc {
namespace {

TEST(CliFlagsTest, DashesInRegisteredFlagNamesBecomeUnderscores) {
  std::vector<std::string> args = {"prog",
                                   "--metrics-listen=127.0.0.1:1",
                                   "--drain-seconds",
                                   "-3-4",
                                   "--dry-run",
                                   "--nodry-run",
                                   "--not-a-flag",
                                   "--",
                                   "--drain-seconds"};
  const std::vector<std::string> seen = NormalizeFlagDashes(args);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"metrics_listen", "drain_seconds", "dry_run", "dry_run"}));
  EXPECT_EQ(args[1], "--metrics_listen=127.0.0.1:1");
  EXPECT_EQ(args[2], "--drain_seconds");
  EXPECT_EQ(args[3], "-3-4");  // the value of --drain-seconds, left alone
  EXPECT_EQ(args[4], "--dry_run");
  EXPECT_EQ(args[5], "--nodry_run");
  EXPECT_EQ(args[6], "--not-a-flag");     // unknown: absl will say so under its own name
  EXPECT_EQ(args[8], "--drain-seconds");  // after "--"
}

TEST(CliFlagsTest, ArgvFormEndsWithNull) {
  const char* in[] = {"prog", "--metrics-listen", "a-b"};
  std::vector<std::string> storage;
  auto out = NormalizeFlagDashes(3, const_cast<char**>(in), &storage);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_STREQ(out[1], "--metrics_listen");
  EXPECT_STREQ(out[2], "a-b");
  EXPECT_EQ(out[3], nullptr);
}

}  // namespace
}  // namespace ptc
