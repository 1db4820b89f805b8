// The progress line of `ptc eval` on stderr: calls done of total, running accuracy, spend and
// ETA. On a terminal it is one line redrawn in place (at most ten times a second); otherwise a
// plain line every `interval` and at the end, so logs stay readable.
#pragma once

#include <ostream>

#include "absl/time/time.h"
#include "bench/eval/experiment.h"

namespace ptc::client {

class ProgressPrinter {
 public:
  // `out` must outlive the printer. Called from one thread only.
  ProgressPrinter(std::ostream& out, bool tty, absl::Duration interval = absl::Seconds(10))
      : out_(out), tty_(tty), interval_(interval) {}

  void Update(const eval::Progress& p);
  // Prints the last state (if any update came) and ends the line on a terminal.
  void Finish();

  // The text of one update: "[#####.....] 120/498 (24%)  acc 0.812  $1.23  ETA 0:42".
  static std::string Format(const eval::Progress& p, bool bar);

 private:
  std::ostream& out_;
  const bool tty_;
  const absl::Duration interval_;
  absl::Time last_ = absl::InfinitePast();
  eval::Progress latest_;
  bool any_ = false;
  bool printed_latest_ = false;
};

}  // namespace ptc::client
