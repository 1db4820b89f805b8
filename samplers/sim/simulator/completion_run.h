// One chat completion request run on the simulated model: a ChainPlan per choice, the simulated
// latency, and the response body (whole, or as server-sent events on the plans' timeline). No
// sockets or timers: the session paces it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "samplers/sim/sim_model.h"
#include "samplers/sim/simulator/choice_generator.h"
#include "samplers/sim/simulator/openai_json.h"

namespace ptc::sim {

class CompletionRun {
 public:
  // Choice i runs with seed request.seed + i, else random_seed + i.
  CompletionRun(const SimModel& model, ChatRequest request, CompletionHeader header,
                uint64_t random_seed);

  const ChatRequest& request() const { return request_; }
  const CompletionHeader& header() const { return header_; }

  // When a choice fails (SimBackendConfig.failure_rate), the whole request fails this many
  // seconds after it started (the failing chain's time to first token).
  std::optional<double> failure_after_s() const { return failure_after_s_; }

  // Non-streamed: seconds until the slowest choice is complete, and the response body.
  double latency_s() const;
  std::string ResponseBody();

  // Streamed: seconds from the start to the next event, or nullopt once the stream is complete.
  std::optional<double> next_event_s() const;
  // Appends every event due by `elapsed_s` ("data: {chunk}\n\n"); once every choice is
  // complete, also the usage chunk (when asked for) and "data: [DONE]\n\n".
  void AppendDueEvents(double elapsed_s, std::string* out);

 private:
  struct Choice {
    ChoiceGenerator gen;
    double next_s;  // when its next piece is due
    bool role_sent = false;
  };

  Usage usage() const;

  const ChatRequest request_;
  const CompletionHeader header_;
  const uint32_t chunk_tokens_;
  std::vector<Choice> choices_;
  std::optional<double> failure_after_s_;
  bool stream_done_ = false;
};

}  // namespace ptc::sim
