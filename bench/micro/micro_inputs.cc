#include "bench/micro/micro_inputs.h"

#include "bench/fake_backend/fake_completion.h"

namespace ptc::micro {

std::string ChainText() {
  std::string text;
  const char* kSentences[] = {
      "We compare the expectation values of sigma_z and sigma_x in the given state. ",
      "The coefficients are 0.5 and sqrt(3)/2, so the probabilities are 0.25 and 0.75. ",
      "Option A would need the opposite weights; option C ignores the sigma_x term. ",
      "Adding 5 times the off-diagonal part gives about 4.33, so the total is near -0.7. "};
  for (int i = 0; text.size() < 2000; ++i) text += kSentences[i % 4];
  text += "\n\nAnswer: B";
  return text;
}

std::string StreamBody(int tokens) {
  fake::FakeRequest request;
  request.model = "fake";
  request.stream = true;
  request.include_usage = true;
  request.body_bytes = 700;
  fake::FakeProfile profile;
  profile.tokens = tokens;
  fake::FakeCompletion completion(request, profile, 1);
  std::string body;
  completion.AppendHeadEvents(&body);
  for (int i = 0; i < tokens; ++i) completion.AppendTokenEvents(i, &body);
  completion.AppendTailEvents(&body);
  return body;
}

std::vector<std::string> StreamEventData(int tokens) {
  const std::string body = StreamBody(tokens);
  std::vector<std::string> data;
  size_t pos = 0;
  while (true) {
    const size_t start = body.find("data: ", pos);
    if (start == std::string::npos) break;
    const size_t end = body.find("\n\n", start);
    data.push_back(body.substr(start + 6, end - start - 6));
    pos = end + 2;
  }
  return data;
}

}  // namespace ptc::micro
