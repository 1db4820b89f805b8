// Inputs shared by the hot-function benchmarks: a chain's text as a model writes it, and the SSE
// stream an OpenAI-compatible server sends for it (the fake backend's, so the benchmarks see the
// bytes ptc-bench's runs see).
#pragma once

#include <string>
#include <vector>

namespace ptc::micro {

// About 2 KB of reasoning ending in "Answer: B", like a short chain.
std::string ChainText();
// The data of each chat.completion.chunk event of a streamed completion of `tokens` tokens (with
// the usage chunk and "[DONE]"), and the same as one text/event-stream body.
std::vector<std::string> StreamEventData(int tokens);
std::string StreamBody(int tokens);

}  // namespace ptc::micro
