// RE2 helpers shared by the answer extractors.
#pragma once

#include <memory>
#include <string_view>

#include "re2/re2.h"

namespace ptc::extract_internal {

// Compiles one of the extractors' own (ASCII) patterns: Latin-1, so that any byte sequence,
// including invalid UTF-8, is matched byte by byte; errors are not logged. Check ok() on the
// result. Call once per extractor (in Create), never per Extract.
std::unique_ptr<RE2> CompileFixedPattern(std::string_view pattern);

}  // namespace ptc::extract_internal
