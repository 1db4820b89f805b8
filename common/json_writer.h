// JsonWriter: appends compact JSON to a string, member by member, for request bodies built once per
// chain. The bytes are those nlohmann::json's dump() writes for the same document (no spaces, no
// ASCII escaping, invalid UTF-8 replaced by U+FFFD), without building a DOM: ASCII strings are
// escaped here, strings holding other bytes and every floating-point number go through nlohmann.
// The caller nests Begin/End calls correctly and gives a Key before each value in an object
// (checked by assert only: the writer serves fixed schemas).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ptc {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);  // NaN and infinities as null, as nlohmann writes them
  JsonWriter& Bool(bool value);

  // The document so far; the writer is empty afterwards.
  std::string Take();

 private:
  void BeforeValue();
  void Separate();  // a comma before each member of the innermost level but its first
  void Close(char c);

  struct Level {
    bool object;      // an object, else an array
    bool has_member;  // a member was written: the next one is preceded by a comma
  };
  std::string out_;
  std::vector<Level> levels_;  // the open objects and arrays, innermost last
  bool after_key_ = false;     // a Key was written, its value not yet
};

// Appends `value` as a JSON string literal (quotes included), as JsonWriter::String does. Also
// what the simulated model's and the fake backend's hand-written response bodies use.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace ptc
