// Command-line flags with dashes: Abseil's flags are named with underscores (metrics_listen);
// users type dashes (--metrics-listen). NormalizeFlagDashes rewrites "--a-b[=v]" to "--a_b[=v]"
// when "a_b" is a registered flag (also "--noa-b" for a boolean one). A flag's value given as
// the next argument is never rewritten, nor is anything after a bare "--".
#pragma once

#include <string>
#include <vector>

namespace ptc {

// Rewrites `args` in place (args[0] is the program). Returns the registered flags it saw, by
// their names ("dry_run" also for "--nodry-run"), for callers that check which are allowed.
std::vector<std::string> NormalizeFlagDashes(std::vector<std::string>& args);

// For main(): the rewritten arguments as argv, pointing into *storage.
std::vector<char*> NormalizeFlagDashes(int argc, char** argv, std::vector<std::string>* storage);

}  // namespace ptc
