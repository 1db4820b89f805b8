// An RFC 4180 CSV reader: comma-separated fields, fields in double quotes may hold commas, line
// breaks and doubled quotes (""), records end with CRLF or LF. A UTF-8 byte-order mark at the start
// is skipped. Errors name the file and the line where the bad record starts.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ptc {

struct CsvRecord {
  int line = 0;  // 1-based line of the file where the record starts
  std::vector<std::string> fields;
};

// Parses `text` (named `source` in errors). Blank lines between records are skipped. Errors
// (INVALID_ARGUMENT): a quote inside an unquoted field, text after a closing quote, a quoted field
// still open at the end of the input.
absl::StatusOr<std::vector<CsvRecord>> ParseCsv(absl::string_view text, const std::string& source);

// Reads and parses a file; NOT_FOUND when it cannot be opened.
absl::StatusOr<std::vector<CsvRecord>> ReadCsvFile(const std::string& path);

}  // namespace ptc
