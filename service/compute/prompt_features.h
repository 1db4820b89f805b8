// Features of a prompt that a thinking policy (thinking_policy.h) reads to predict whether
// extended thinking helps: what the prompt asks for, cheaply measured from its text. One function
// for serving and for training (`ptc eval` writes them into its records), so the two never
// disagree. Adding, removing or changing a feature bumps kPromptFeatureVersion; policy files
// record the version and the names and are refused when either differs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "samplers/chain.h"

namespace ptc::compute {

inline constexpr int kPromptFeatureVersion = 1;

// The feature names, in the order PromptFeatures returns the values.
const std::vector<std::string>& PromptFeatureNames();

// The features of the concatenated content of the messages (every role).
std::vector<float> PromptFeatures(const std::vector<ChatMessage>& messages);
std::vector<float> PromptFeatures(std::string_view text);

}  // namespace ptc::compute
