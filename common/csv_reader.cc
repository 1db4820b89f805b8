#include "common/csv_reader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ptc {
namespace {

absl::Status Error(const std::string& source, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", what));
}

}  // namespace

absl::StatusOr<std::vector<CsvRecord>> ParseCsv(absl::string_view text, const std::string& source) {
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<CsvRecord> out;
  CsvRecord record;
  std::string field;
  int line = 1;
  size_t i = 0;
  const size_t size = text.size();
  // Parser state: at the start of a field, or right after its closing quote.
  bool field_started = false;  // the current record has a field in progress (possibly empty)
  auto end_record = [&]() {
    record.fields.push_back(std::move(field));
    field.clear();
    // A blank line is one empty field: skip it.
    if (!(record.fields.size() == 1 && record.fields[0].empty())) out.push_back(std::move(record));
    record = CsvRecord();
    field_started = false;
  };
  while (i < size) {
    if (!field_started) {
      record.line = record.fields.empty() ? line : record.line;
      field_started = true;
    }
    if (text[i] == '"') {
      if (!field.empty()) return Error(source, line, "a quote inside an unquoted field");
      const int open_line = line;
      ++i;
      bool closed = false;
      while (i < size) {
        const char c = text[i];
        if (c == '"') {
          if (i + 1 < size && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (c == '\n') ++line;
        field.push_back(c);
        ++i;
      }
      if (!closed) {
        return Error(source, open_line, "a quoted field is not closed before the end of the file");
      }
      // After the closing quote: a separator, a line end or the end of the input.
      if (i < size && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return Error(source, line, "text after a closing quote (a quote inside a field is \"\")");
      }
      continue;
    }
    const char c = text[i];
    if (c == ',') {
      record.fields.push_back(std::move(field));
      field.clear();
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      i += (c == '\r' && i + 1 < size && text[i + 1] == '\n') ? 2 : 1;
      end_record();
      ++line;
      continue;
    }
    field.push_back(c);
    ++i;
  }
  if (field_started) end_record();
  return out;
}

absl::StatusOr<std::vector<CsvRecord>> ReadCsvFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseCsv(buffer.str(), path);
}

}  // namespace ptc
