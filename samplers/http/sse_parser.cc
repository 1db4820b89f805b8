#include "samplers/http/sse_parser.h"

#include "absl/strings/str_cat.h"

namespace ptc::http {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

bool SseParser::has_partial() const {
  return !line_.empty() || pending_any_field_ || !bom_prefix_.empty();
}

bool SseParser::Oversize() const {
  return line_.size() + pending_.data.size() + pending_.event.size() > max_event_bytes_;
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

absl::Status SseParser::Consume(std::string_view bytes,
                                absl::FunctionRef<void(const SseEvent&)> on_event) {
  while (!bytes.empty()) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (bytes.front() == '\n') {  // the LF of a CRLF
        bytes.remove_prefix(1);
        continue;
      }
    }
    const size_t end = bytes.find_first_of("\r\n");
    line_.append(bytes.substr(0, end));
    if (Oversize()) {
      failed_ = true;
      return absl::ResourceExhaustedError(
          absl::StrCat("SSE event longer than ", max_event_bytes_, " bytes"));
    }
    if (end == std::string_view::npos) return absl::OkStatus();
    last_was_cr_ = bytes[end] == '\r';
    bytes.remove_prefix(end + 1);
    ProcessLine(line_, on_event);
    line_.clear();
  }
  return absl::OkStatus();
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
    pending_.event = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) pending_.id = std::string(value);
  } else {
    return;  // "retry" and unknown fields are ignored
  }
  pending_any_field_ = true;
}

}  // namespace ptc::http
