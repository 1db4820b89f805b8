#include "bench/eval/results_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ptc::eval {
namespace {

std::string Num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.6g", v);
}

// Table cells: fixed decimals, "-" for undefined values.
std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  return absl::StrFormat("%.*f", decimals, v);
}

std::string Money(double v) {
  if (!std::isfinite(v)) return "-";
  return absl::StrFormat("$%.4f", v);
}

std::string CsvText(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string ResultsCsv(const std::vector<NStats>& rows) {
  std::string out = absl::StrCat(kResultsCsvHeader, "\n");
  for (const NStats& s : rows) {
    absl::StrAppend(&out, CsvText(s.strategy), ",", CsvText(s.stop), ",", s.n, ",",
                    s.thinking_budget, ",", s.questions, ",", Num(s.accuracy), ",", Num(s.ci.low),
                    ",", Num(s.ci.high), ",", Num(s.mean_chains), ",", Num(s.mean_tokens), ",",
                    Num(s.mean_cost_usd), ",", Num(s.cost_per_correct_usd), ",",
                    Num(s.p50_latency_s), ",", Num(s.p95_latency_s), ",", CsvText(s.backend), ",",
                    CsvText(s.model), ",", s.subsampled ? 1 : 0, "\n");
  }
  return out;
}

absl::Status WriteResultsCsv(const std::string& dir, const std::vector<NStats>& rows) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::filesystem::path path = std::filesystem::path(dir) / "results.csv";
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  out << ResultsCsv(rows);
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("error writing ", path.string()));
  return absl::OkStatus();
}

std::string FormatTable(const std::vector<NStats>& rows) {
  const bool any_errors =
      std::any_of(rows.begin(), rows.end(), [](const NStats& s) { return s.errors > 0; });
  std::vector<std::vector<std::string>> cells;
  auto varies = [&](auto field) {
    return std::any_of(rows.begin(), rows.end(),
                       [&](const NStats& s) { return field(s) != field(rows.front()); });
  };
  const bool any_stop =
      std::any_of(rows.begin(), rows.end(), [](const NStats& s) { return s.stop != "fixed"; });
  const bool any_strategy = varies([](const NStats& s) { return s.strategy; });
  const bool any_budget = varies([](const NStats& s) { return s.thinking_budget; });
  const bool any_backend = varies([](const NStats& s) { return s.backend; });
  const bool any_model = varies([](const NStats& s) { return s.model; });
  std::vector<std::string> header = {"N",          "accuracy",  "95% CI", "chains", "tokens",
                                     "$/question", "$/correct", "p50 s",  "p95 s"};
  std::vector<std::string> lead;
  if (any_strategy) lead.push_back("strategy");
  if (any_stop) lead.push_back("stop");
  if (any_budget) lead.push_back("budget");
  if (any_backend) lead.push_back("backend");
  if (any_model) lead.push_back("model");
  header.insert(header.begin(), lead.begin(), lead.end());
  if (any_errors) header.push_back("errors");
  cells.push_back(header);
  for (const NStats& s : rows) {
    std::vector<std::string> row = {
        absl::StrCat(s.n),
        Fixed(s.accuracy, 3),
        absl::StrCat("[", Fixed(s.ci.low, 3), ", ", Fixed(s.ci.high, 3), "]"),
        Fixed(s.mean_chains, 1),
        Fixed(s.mean_tokens, 0),
        Money(s.mean_cost_usd),
        Money(s.cost_per_correct_usd),
        Fixed(s.p50_latency_s, 3),
        Fixed(s.p95_latency_s, 3)};
    std::vector<std::string> series;
    if (any_strategy) series.push_back(s.strategy);
    if (any_stop) series.push_back(s.stop);
    if (any_budget) series.push_back(absl::StrCat(s.thinking_budget));
    if (any_backend) series.push_back(s.backend.empty() ? "(default)" : s.backend);
    if (any_model) series.push_back(s.model.empty() ? "(default)" : s.model);
    row.insert(row.begin(), series.begin(), series.end());
    if (s.subsampled) row[series.size()] += "*";
    if (any_errors) row.push_back(absl::StrCat(s.errors));
    cells.push_back(std::move(row));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      // Every column right-aligned, two spaces apart.
      if (i > 0) line += "  ";
      line += std::string(width[i] - row[i].size(), ' ') + row[i];
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace ptc::eval
