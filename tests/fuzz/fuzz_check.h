// What the fuzzers share: an invariant check that fails the run, and fuzzer-chosen read splits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// Checks an invariant of the code under test. A violation prints the condition and aborts, which
// libFuzzer reports as a crash and saves the input. Only for documented contracts: input the code
// rejects (an error status, "not parseable") is never a violation.
#define PTC_FUZZ_CHECK(cond)                                                              \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

namespace ptc::fuzz {

// The fuzz input as text.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// 0xFF never occurs in UTF-8, so the fuzzers that test reads split at arbitrary points use it as
// the split marker: `input` with the 0xFF bytes removed is the stream, and each 0xFF is a place
// where one read ends and the next begins (so "a\xFF\xFF" is the reads "a", "", "").
inline constexpr char kSplit = '\xFF';

inline std::vector<std::string_view> SplitReads(std::string_view input) {
  std::vector<std::string_view> reads;
  size_t start = 0;
  for (size_t at = input.find(kSplit); at != std::string_view::npos;
       at = input.find(kSplit, start)) {
    reads.push_back(input.substr(start, at - start));
    start = at + 1;
  }
  reads.push_back(input.substr(start));
  return reads;
}

// The stream that SplitReads' reads make up.
inline std::string Joined(const std::vector<std::string_view>& reads) {
  std::string all;
  for (std::string_view r : reads) all.append(r);
  return all;
}

}  // namespace ptc::fuzz
