// An incremental parser for Server-Sent Events (text/event-stream), as the WHATWG HTML standard
// defines them: events split anywhere across reads, LF / CRLF / CR line ends, multi-line `data:`
// (joined with "\n"), comments (lines starting with ':'), `event:` and `id:` fields, a leading
// BOM. `data: [DONE]` is an ordinary event here; the protocol above decides what it means.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace ptc::http {

struct SseEvent {
  std::string event;  // "" when the event named none (the standard's default type "message")
  std::string data;
  std::string id;

  friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

class SseParser {
 public:
  // An event (or a line) longer than this is an error: a misbehaving server cannot make the
  // parser buffer without bound.
  explicit SseParser(size_t max_event_bytes = 4 << 20) : max_event_bytes_(max_event_bytes) {}

  // Consumes `bytes`, calling `on_event` for every event completed by them (in order).
  // RESOURCE_EXHAUSTED when an event exceeds max_event_bytes; the parser is then unusable.
  absl::Status Feed(std::string_view bytes, absl::FunctionRef<void(const SseEvent&)> on_event);

  // True when bytes of an unfinished event are buffered (at end of stream: a truncated event).
  bool has_partial() const;

 private:
  size_t max_event_bytes_;
  std::string line_;  // the current, unfinished line
  bool last_was_cr_ = false;
  bool bom_checked_ = false;
  SseEvent pending_;
  bool pending_has_data_ = false;
  bool pending_any_field_ = false;
  std::string bom_prefix_;  // leading bytes that may still turn out to be a BOM
  bool failed_ = false;

  absl::Status Consume(std::string_view bytes, absl::FunctionRef<void(const SseEvent&)> on_event);
  void ProcessLine(std::string_view line, absl::FunctionRef<void(const SseEvent&)> on_event);
  // Whether line_ plus `unbuffered_line` more bytes, with the pending event, exceed the limit.
  bool Oversize(size_t unbuffered_line) const;
  absl::Status Failed();  // marks the parser failed: RESOURCE_EXHAUSTED
};

}  // namespace ptc::http
