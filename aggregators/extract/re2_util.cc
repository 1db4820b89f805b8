#include "aggregators/extract/re2_util.h"

namespace ptc::extract_internal {

std::unique_ptr<RE2> CompileFixedPattern(std::string_view pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  return std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
}

}  // namespace ptc::extract_internal
