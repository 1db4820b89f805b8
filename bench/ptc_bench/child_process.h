// A process ptc-bench starts and measures: ptc-server, ptc-fake-backend, the peers. Its stdout
// and stderr go to a log file; the start-up line that names its address is waited for; its CPU
// time and resident memory are read from /proc. Linux only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ptc::bench {

class ChildProcess {
 public:
  // Starts argv[0] (a path, or a name looked up in PATH) with `extra_env` ("NAME=value") added
  // to this process's environment, output written to `log_path` (truncated first).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(
      const std::vector<std::string>& argv, const std::string& log_path,
      const std::vector<std::string>& extra_env = {});
  ~ChildProcess();  // Stop()

  // Waits until the log holds a line containing `marker`, and returns the rest of that line
  // after the marker (trimmed). DEADLINE_EXCEEDED after `timeout`; FAILED_PRECONDITION, quoting
  // the log's tail, when the process exits first.
  absl::StatusOr<std::string> WaitForLine(const std::string& marker,
                                          std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  bool Running();
  // User + system CPU seconds so far (all threads). -1 when it cannot be read.
  double CpuSeconds() const;
  // Resident set size in bytes (VmRSS). -1 when it cannot be read.
  int64_t RssBytes() const;

  // SIGTERM, then SIGKILL after `grace`; reaps it. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
};

// CPU seconds and RSS of any process (by pid), from /proc; -1 when unreadable.
double ProcessCpuSeconds(pid_t pid);
int64_t ProcessRssBytes(pid_t pid);

// The machine's CPU time so far, from the first line of /proc/stat, in clock ticks: all of it
// (user, nice, system, idle, iowait, irq, softirq, steal) and the part the hypervisor gave to
// other guests while this one had work ("steal"). Zeros when unreadable.
struct MachineCpu {
  uint64_t total = 0;
  uint64_t steal = 0;
};
MachineCpu ParseMachineCpu(std::string_view proc_stat);
MachineCpu ReadMachineCpu();
// The share of the machine's CPU time stolen between two readings; NaN when none passed.
double StealShare(const MachineCpu& before, const MachineCpu& after);

// The directory of the running executable (/proc/self/exe), for finding sibling binaries.
std::string SelfDir();

}  // namespace ptc::bench
