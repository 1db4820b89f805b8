// An experiment's outputs besides results.csv: results.json, report.md and the plots
// (accuracy vs cost and accuracy vs N, one line per series), drawn by gnuplot.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/eval/eval_stats.h"

namespace ptc::eval {

// What the report says about the run besides the rows.
struct ReportInfo {
  std::string title = "ptc eval";
  std::string experiment;
  std::string dataset;
  int questions = 0;
  int repeats = 1;
  uint64_t seed = 0;
  std::string command;  // the command line, for reproduction
  // Shown as a banner at the top of the report and in the plots' titles when non-empty, e.g.
  // "SIMULATED: ...".
  std::string simulated_note;
  double wall_time_s = 0;
  size_t calls_made = 0;
  size_t calls_resumed = 0;
  bool cancelled = false;
};

// results.json: {"experiment": ..., "dataset": ..., ..., "cells": [{strategy, stop,
// thinking_budget, backend, model, n, subsampled, questions, requests, correct, errors, accuracy,
// ci_low, ci_high, mean_chains, mean_tokens, mean_cost_usd, cost_per_correct_usd,
// p50_latency_s, p95_latency_s}, ...]}; undefined numbers are null.
std::string ResultsJson(const ReportInfo& info, const std::vector<NStats>& rows);

// report.md: the banner, the setup, one table per series, the subsampling note, the plots.
std::string ReportMarkdown(const ReportInfo& info, const std::vector<NStats>& rows);

// The series label of a row in plots and tables: the strategy, plus the stop rule, budget,
// backend and model when they vary across `rows`.
std::string SeriesLabel(const NStats& row, const std::vector<NStats>& rows);

// The gnuplot script that draws DIR/accuracy_vs_cost.{png,svg} and DIR/accuracy_vs_n.{png,svg}
// from DIR/plot_data.dat (written by WritePlots).
std::string GnuplotScript(const ReportInfo& info, const std::vector<NStats>& rows,
                          const std::string& terminal_png);

// Writes results.json, report.md and the plots into `dir` (created if needed). The plots need
// `gnuplot` on PATH: without it (or if it fails) the script is left as DIR/plots.gp and the
// returned status says why; the other files are written regardless.
absl::Status WriteReport(const std::string& dir, const ReportInfo& info,
                         const std::vector<NStats>& rows);

}  // namespace ptc::eval
