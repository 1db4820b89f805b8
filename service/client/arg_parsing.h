// Parsing of the `ptc` client's option values, with errors that name the option:
//   --n: "0" is not a positive integer
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ptc/v1/orchestrator.pb.h"

namespace ptc::client {

// A decimal integer in [1, 2^32 - 1].
absl::StatusOr<uint32_t> ParsePositiveUint32(absl::string_view flag, absl::string_view text);
// A decimal integer in [0, 2^64 - 1].
absl::StatusOr<uint64_t> ParseUint64(absl::string_view flag, absl::string_view text);
// A finite decimal number.
absl::StatusOr<float> ParseFloat(absl::string_view flag, absl::string_view text);
// A comma-separated list of distinct positive integers, e.g. "1,4,16,64"; spaces around the
// items are allowed, the order is kept.
absl::StatusOr<std::vector<uint32_t>> ParseNList(absl::string_view flag, absl::string_view text);

// A comma-separated list of distinct non-negative integers (thinking budgets: 0 = none).
absl::StatusOr<std::vector<uint32_t>> ParseUintList(absl::string_view flag, absl::string_view text);

// A comma-separated list of distinct non-empty names, spaces around items trimmed; "" gives {""}
// (the server's default).
absl::StatusOr<std::vector<std::string>> ParseNameList(absl::string_view flag,
                                                       absl::string_view text);

// A comma-separated list of stop rules: "fixed", "ac" (Adaptive-Consistency; "ac:0.99" sets the
// threshold), "esc" ("esc:8" sets the window), "deepconf" (DeepConf online;
// "deepconf:16:256:0.9" sets the warm-up, the group window and the consensus).
absl::StatusOr<std::vector<v1::StopRule>> ParseStopList(absl::string_view flag,
                                                        absl::string_view text);

// A launch policy: "all" (all at once), "waves:K" or "waves:K:FIRST"; "" = the rule's default.
absl::StatusOr<v1::LaunchPolicy> ParseLaunch(absl::string_view flag, absl::string_view text);

// A subcommand's options, `--name value` or `--name=value` (dashes or underscores), into the
// strings `options` maps their underscore names to. False (after printing "ptc COMMAND: ...") on
// an unknown option, a missing value or a positional argument.
bool ParseCommandOptions(const std::string& command, const std::vector<std::string>& argv,
                         const std::map<std::string, std::string*>& options, std::ostream& err);

// Writes `bytes` to a temporary file beside `path` and renames it over `path`, so a reader never
// sees half a file. False (after printing "ptc COMMAND: ...") on failure.
bool WriteFileAtomically(const std::string& command, const std::string& path,
                         const std::string& bytes, std::ostream& err);

}  // namespace ptc::client
