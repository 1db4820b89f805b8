#include "service/client/progress.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ptc::client {

std::string ProgressPrinter::Format(const eval::Progress& p, bool bar) {
  const double frac = p.total > 0 ? static_cast<double>(p.done) / p.total : 1.0;
  std::string s;
  if (bar) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(std::lround(frac * kWidth));
    s = absl::StrCat("[", std::string(filled, '#'), std::string(kWidth - filled, '.'), "] ");
  }
  absl::StrAppend(&s, absl::StrFormat("%zu/%zu calls (%.0f%%)", p.done, p.total, 100 * frac));
  if (p.done > 0) {
    absl::StrAppend(&s, absl::StrFormat("  acc %.3f", static_cast<double>(p.correct) / p.done));
  }
  absl::StrAppend(&s, absl::StrFormat("  $%.4f", p.cost_usd));
  if (p.errors > 0) absl::StrAppend(&s, "  ", p.errors, " errors");
  const size_t fresh = p.done - p.resumed;
  if (fresh > 0 && p.done < p.total) {
    const double eta = absl::ToDoubleSeconds(p.elapsed) / fresh * (p.total - p.done);
    absl::StrAppend(&s, absl::StrFormat("  ETA %d:%02d", static_cast<int>(eta) / 60,
                                        static_cast<int>(eta) % 60));
  }
  return s;
}

void ProgressPrinter::Update(const eval::Progress& p) {
  latest_ = p;
  any_ = true;
  printed_latest_ = false;
  const absl::Time now = absl::Now();
  if (now - last_ < (tty_ ? absl::Milliseconds(100) : interval_)) return;
  last_ = now;
  printed_latest_ = true;
  if (tty_) {
    out_ << "\r\x1b[K" << Format(p, true) << std::flush;
  } else {
    out_ << "progress: " << Format(p, false) << std::endl;
  }
}

void ProgressPrinter::Finish() {
  if (!any_) return;
  if (tty_) {
    out_ << "\r\x1b[K" << Format(latest_, true) << "\n" << std::flush;
  } else if (!printed_latest_) {
    out_ << "progress: " << Format(latest_, false) << std::endl;
  }
}

}  // namespace ptc::client
