// What every ptc executable's main() does the same way: Abseil flags that may be typed with
// dashes, and SIGINT/SIGTERM taken synchronously by the main thread.
#pragma once

#include <csignal>

namespace ptc {

// Parses the command line (see common/cli_flags.h for dashes); exits on bad flags like
// absl::ParseCommandLine.
void ParseFlags(int argc, char** argv, const char* usage);

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards: call it
// before starting any thread, then WaitForTerminationSignal() from the same thread.
void BlockTerminationSignals();
// Returns the signal received (SIGINT or SIGTERM).
int WaitForTerminationSignal();

}  // namespace ptc
