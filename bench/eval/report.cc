#include "bench/eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "bench/eval/results_writer.h"
#include "nlohmann/json.hpp"

namespace ptc::eval {
namespace {

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

std::string SeriesKey(const NStats& s) {
  return absl::StrCat(s.strategy, "|", s.stop, "|", s.thinking_budget, "|", s.backend, "|",
                      s.model);
}

// Series in first-seen order, each with its rows.
std::vector<std::vector<const NStats*>> BySeries(const std::vector<NStats>& rows) {
  std::vector<std::vector<const NStats*>> out;
  std::map<std::string, size_t> index;
  for (const NStats& r : rows) {
    auto [it, inserted] = index.emplace(SeriesKey(r), out.size());
    if (inserted) out.emplace_back();
    out[it->second].push_back(&r);
  }
  return out;
}

absl::Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("error writing ", path.string()));
  return absl::OkStatus();
}

std::string ShellQuote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

std::string GnuplotString(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}),
                      "\"");
}

std::string Fixed(double v, int decimals) {
  return std::isfinite(v) ? absl::StrFormat("%.*f", decimals, v) : "-";
}

}  // namespace

std::string SeriesLabel(const NStats& row, const std::vector<NStats>& rows) {
  auto varies = [&](auto field) {
    return std::any_of(rows.begin(), rows.end(),
                       [&](const NStats& s) { return field(s) != field(row); });
  };
  std::string label = row.strategy;
  if (varies([](const NStats& s) { return s.stop; }) || row.stop != "fixed") {
    absl::StrAppend(&label, ", stop ", row.stop);
  }
  if (varies([](const NStats& s) { return s.thinking_budget; })) {
    absl::StrAppend(&label, ", budget ", row.thinking_budget);
  }
  if (varies([](const NStats& s) { return s.backend; })) {
    absl::StrAppend(&label, ", ", row.backend.empty() ? "default backend" : row.backend);
  }
  if (varies([](const NStats& s) { return s.model; })) {
    absl::StrAppend(&label, ", ", row.model.empty() ? "default model" : row.model);
  }
  return label;
}

std::string ResultsJson(const ReportInfo& info, const std::vector<NStats>& rows) {
  nlohmann::json cells = nlohmann::json::array();
  for (const NStats& s : rows) {
    cells.push_back({{"strategy", s.strategy},
                     {"stop", s.stop},
                     {"thinking_budget", s.thinking_budget},
                     {"backend", s.backend},
                     {"model", s.model},
                     {"n", s.n},
                     {"subsampled", s.subsampled},
                     {"questions", s.questions},
                     {"requests", s.requests},
                     {"correct", s.correct},
                     {"errors", s.errors},
                     {"accuracy", Number(s.accuracy)},
                     {"ci_low", Number(s.ci.low)},
                     {"ci_high", Number(s.ci.high)},
                     {"mean_chains", Number(s.mean_chains)},
                     {"mean_tokens", Number(s.mean_tokens)},
                     {"mean_cost_usd", Number(s.mean_cost_usd)},
                     {"cost_per_correct_usd", Number(s.cost_per_correct_usd)},
                     {"p50_latency_s", Number(s.p50_latency_s)},
                     {"p95_latency_s", Number(s.p95_latency_s)}});
  }
  nlohmann::json j = {{"title", info.title},
                      {"experiment", info.experiment},
                      {"dataset", info.dataset},
                      {"questions", info.questions},
                      {"repeats", info.repeats},
                      {"seed", info.seed},
                      {"command", info.command},
                      {"simulated", !info.simulated_note.empty()},
                      {"simulated_note", info.simulated_note},
                      {"wall_time_s", info.wall_time_s},
                      {"calls_made", info.calls_made},
                      {"calls_resumed", info.calls_resumed},
                      {"cancelled", info.cancelled},
                      {"cells", std::move(cells)}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string ReportMarkdown(const ReportInfo& info, const std::vector<NStats>& rows) {
  std::string md = absl::StrCat("# ", info.title, "\n\n");
  if (!info.simulated_note.empty()) absl::StrAppend(&md, "> **", info.simulated_note, "**\n\n");
  if (info.cancelled) {
    absl::StrAppend(&md,
                    "> **Interrupted**: the tables cover the calls that finished; `--resume` "
                    "completes the run.\n\n");
  }
  absl::StrAppend(&md, "- experiment: `", info.experiment, "`\n- dataset: `", info.dataset, "` (",
                  info.questions, " questions x ", info.repeats, " repeats, seed ", info.seed,
                  ")\n");
  if (!info.command.empty()) absl::StrAppend(&md, "- command: `", info.command, "`\n");
  absl::StrAppend(
      &md, absl::StrFormat("- wall time %.1f s; %u calls made", info.wall_time_s, info.calls_made));
  if (info.calls_resumed > 0)
    absl::StrAppend(&md, ", ", info.calls_resumed, " resumed from records");
  absl::StrAppend(&md, "\n\n");
  for (const auto& series : BySeries(rows)) {
    absl::StrAppend(&md, "## ", SeriesLabel(*series.front(), rows), "\n\n");
    absl::StrAppend(&md,
                    "| N | accuracy | 95% CI | chains | tokens / question | $ / question | "
                    "$ / correct | p50 s | p95 s | drawn |\n"
                    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (const NStats* s : series) {
      absl::StrAppend(&md, "| ", s->n, " | ", Fixed(s->accuracy, 3), " | [", Fixed(s->ci.low, 3),
                      ", ", Fixed(s->ci.high, 3), "] | ", Fixed(s->mean_chains, 1), " | ",
                      Fixed(s->mean_tokens, 0), " | ", Fixed(s->mean_cost_usd, 4), " | ",
                      Fixed(s->cost_per_correct_usd, 4), " | ", Fixed(s->p50_latency_s, 3), " | ",
                      Fixed(s->p95_latency_s, 3), " | ",
                      s->subsampled ? "prefix of largest N" : "direct",
                      s->errors > 0 ? absl::StrCat(" (", s->errors, " errors)") : "", " |\n");
    }
    absl::StrAppend(&md, "\n");
  }
  std::set<std::string> subsampled;
  for (const NStats& s : rows) {
    if (s.subsampled) subsampled.insert(SeriesLabel(s, rows));
  }
  if (!subsampled.empty()) {
    absl::StrAppend(
        &md, "**Subsampled**: for ", absl::StrJoin(subsampled, "; "),
        ", the largest N was drawn once per question and repeat and each smaller N was evaluated "
        "on the plan-order prefix of its chains (majority re-selected client-side by the "
        "server's rule: most votes, ties to the earliest chain). Accuracy, chains, tokens and cost "
        "equal a direct run's; latency of a "
        "prefix is estimated from its chains' timings. Rows marked \"direct\" were run as "
        "asked.\n\n");
  }
  absl::StrAppend(&md,
                  "Accuracy counts every request (errors as incorrect); the 95% CI is a "
                  "percentile bootstrap over questions (2000 resamples).\n\n"
                  "![accuracy vs cost](accuracy_vs_cost.png)\n\n"
                  "![accuracy vs N](accuracy_vs_n.png)\n");
  return md;
}

std::string GnuplotScript(const ReportInfo& info, const std::vector<NStats>& rows,
                          const std::string& terminal_png) {
  const auto series = BySeries(rows);
  const std::string suffix = info.simulated_note.empty() ? "" : " (SIMULATED)";
  std::string gp = absl::StrCat(
      "# Generated by ptc eval: draws the plots from plot_data.dat (one block per series:\n"
      "# n accuracy ci_low ci_high mean_cost_usd). Run from this directory: gnuplot plots.gp\n",
      "set datafile missing 'nan'\n", "set key inside right bottom box opaque noenhanced\n",
      "set grid lc rgb '#dddddd'\n", "set ylabel 'accuracy'\n");
  auto plot = [&](const std::string& using_cols, const std::string& style) {
    std::vector<std::string> parts;
    for (size_t i = 0; i < series.size(); ++i) {
      // On the N plot, series are nudged apart (a few percent of an octave) so that their error
      // bars do not hide each other.
      const double dodge =
          std::exp2(0.03 * (static_cast<double>(i) - (static_cast<double>(series.size()) - 1) / 2));
      std::string cols =
          absl::StrReplaceAll(using_cols, {{"DODGE", absl::StrFormat("%.6f", dodge)}});
      parts.push_back(absl::StrCat("'plot_data.dat' index ", i, " using ", cols, " with ", style,
                                   " lw 2 pt 7 ps 0.9 noenhanced title ",
                                   GnuplotString(SeriesLabel(*series[i].front(), rows))));
    }
    return absl::StrCat("plot ", absl::StrJoin(parts, ", \\\n     "), "\n");
  };
  const std::string subtitle = absl::StrCat("\n", info.experiment, ": ", info.questions,
                                            " questions x ", info.repeats, " repeats");
  const std::string cost_title =
      absl::StrCat(GnuplotString(absl::StrCat("Accuracy vs cost per question", suffix, subtitle)),
                   " noenhanced");
  const std::string n_title = absl::StrCat(
      GnuplotString(absl::StrCat("Accuracy vs N chains", suffix, subtitle)), " noenhanced");
  uint32_t min_n = rows.empty() ? 1 : rows.front().n, max_n = min_n;
  for (const NStats& r : rows) {
    min_n = std::min(min_n, r.n);
    max_n = std::max(max_n, r.n);
  }
  const std::string n_range = absl::StrFormat("set xrange [%g:%g]\n", min_n / 1.25, max_n * 1.25);
  for (const auto& [ext, term] : {std::pair<std::string, std::string>{"png", terminal_png},
                                  {"svg", "svg size 1000,600 dynamic enhanced font 'Sans,12'"}}) {
    absl::StrAppend(&gp, "\nset terminal ", term, "\n");
    absl::StrAppend(&gp, "set output 'accuracy_vs_cost.", ext, "'\n", "set title ", cost_title,
                    "\n", "set ylabel 'accuracy'\n",
                    "set logscale x 10\nset xlabel 'mean cost per question (USD, log scale)'\n",
                    "set format x '$%g'\nset xtics auto\n", "set offsets 0, 0, 0.01, 0.01\n",
                    plot("5:2", "linespoints"), "unset logscale x\n", "set format x '%g'\n");
    absl::StrAppend(&gp, "set output 'accuracy_vs_n.", ext, "'\n", "set title ", n_title, "\n",
                    "set ylabel 'accuracy (bars: 95% bootstrap CI)'\n",
                    "set logscale x 2\nset xlabel 'N (chains per question, log_2 scale)'\n",
                    "set xtics 2\n", "set offsets 0, 0, 0.01, 0.01\n", n_range,
                    plot("($1*DODGE):2:3:4", "yerrorlines"),
                    "unset logscale x\nset xtics auto\nset xrange [*:*]\n", "set output\n");
  }
  return gp;
}

absl::Status WriteReport(const std::string& dir, const ReportInfo& info,
                         const std::vector<NStats>& rows) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::filesystem::path d(dir);
  if (absl::Status s = WriteFile(d / "results.json", ResultsJson(info, rows)); !s.ok()) return s;
  if (absl::Status s = WriteFile(d / "report.md", ReportMarkdown(info, rows)); !s.ok()) return s;
  std::string data;
  for (const auto& series : BySeries(rows)) {
    absl::StrAppend(&data, "# ", SeriesLabel(*series.front(), rows), "\n");
    for (const NStats* s : series) {
      auto num = [](double v) { return std::isfinite(v) ? absl::StrFormat("%.8g", v) : "nan"; };
      absl::StrAppend(&data, s->n, " ", num(s->accuracy), " ", num(s->ci.low), " ", num(s->ci.high),
                      " ", num(s->mean_cost_usd), "\n");
    }
    absl::StrAppend(&data, "\n\n");
  }
  if (absl::Status s = WriteFile(d / "plot_data.dat", data); !s.ok()) return s;
  // pngcairo draws anti-aliased lines; Debian's gnuplot-nox has it, other builds may not.
  const bool cairo = std::system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0;
  const std::string png = cairo ? "pngcairo size 1000,600 enhanced font 'Sans,11'"
                                : "png size 1000,600 enhanced font 'Sans,11'";
  if (absl::Status s = WriteFile(d / "plots.gp", GnuplotScript(info, rows, png)); !s.ok()) {
    return s;
  }
  const std::string cmd = absl::StrCat("cd ", ShellQuote(dir), " && gnuplot plots.gp");
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "gnuplot failed or is not installed (exit ", rc,
        "): the plots were not drawn; install gnuplot-nox and run `gnuplot plots.gp` in ", dir));
  }
  return absl::OkStatus();
}

}  // namespace ptc::eval
