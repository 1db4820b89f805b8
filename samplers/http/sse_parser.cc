#include "samplers/http/sse_parser.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace ptc::http {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

bool SseParser::has_partial() const {
  return !line_.empty() || pending_any_field_ || !bom_prefix_.empty();
}

bool SseParser::Oversize(size_t unbuffered_line) const {
  return line_.size() + unbuffered_line + pending_.data.size() + pending_.event.size() >
         max_event_bytes_;
}

absl::Status SseParser::Feed(std::string_view bytes,
                             absl::FunctionRef<void(const SseEvent&)> on_event) {
  if (failed_) {
    return absl::ResourceExhaustedError("SSE parser already failed on an oversize event");
  }
  while (!bom_checked_ && !bytes.empty()) {
    bom_prefix_ += bytes.front();
    bytes.remove_prefix(1);
    if (kBom.substr(0, bom_prefix_.size()) != bom_prefix_) {
      // Not a BOM after all: the held bytes are ordinary stream bytes.
      bom_checked_ = true;
      const std::string held = std::move(bom_prefix_);
      bom_prefix_.clear();
      if (absl::Status s = Consume(held, on_event); !s.ok()) return s;
    } else if (bom_prefix_.size() == kBom.size()) {
      bom_checked_ = true;
      bom_prefix_.clear();
    }
  }
  return Consume(bytes, on_event);
}

// Line ends are found with memchr ('\n', then '\r' before it); a line that ends inside `bytes`
// and has no buffered start is processed in place, without copying it into line_.
absl::Status SseParser::Consume(std::string_view bytes,
                                absl::FunctionRef<void(const SseEvent&)> on_event) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  if (last_was_cr_ && p < end) {
    last_was_cr_ = false;
    if (*p == '\n') ++p;  // the LF of a CRLF split across reads
  }
  while (p < end) {
    const size_t left = static_cast<size_t>(end - p);
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', left));
    const size_t before_lf = eol == nullptr ? left : static_cast<size_t>(eol - p);
    if (const void* cr = std::memchr(p, '\r', before_lf)) eol = static_cast<const char*>(cr);
    if (eol == nullptr) {  // an unfinished line: kept for the next read
      line_.append(p, left);
      return Oversize(0) ? Failed() : absl::OkStatus();
    }
    std::string_view line(p, static_cast<size_t>(eol - p));
    const bool buffered = !line_.empty();
    if (buffered) {
      line_.append(line);
      line = line_;
    }
    if (Oversize(buffered ? 0 : line.size())) return Failed();
    p = eol + 1;
    if (*eol == '\r') {
      if (p == end) {
        last_was_cr_ = true;
      } else if (*p == '\n') {
        ++p;
      }
    }
    ProcessLine(line, on_event);
    line_.clear();
  }
  return absl::OkStatus();
}

absl::Status SseParser::Failed() {
  failed_ = true;
  return absl::ResourceExhaustedError(
      absl::StrCat("SSE event longer than ", max_event_bytes_, " bytes"));
}

void SseParser::ProcessLine(std::string_view line,
                            absl::FunctionRef<void(const SseEvent&)> on_event) {
  if (line.empty()) {  // dispatch
    if (pending_has_data_) on_event(pending_);
    // The event type and data reset after every blank line; the id persists (the standard's
    // "last event ID").
    pending_.event.clear();
    pending_.data.clear();
    pending_has_data_ = false;
    pending_any_field_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment
  std::string_view field = line;
  std::string_view value;
  if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (pending_has_data_) pending_.data += '\n';
    pending_.data.append(value);
    pending_has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) pending_.id.assign(value);
  } else {
    return;  // "retry" and unknown fields are ignored
  }
  pending_any_field_ = true;
}

}  // namespace ptc::http
