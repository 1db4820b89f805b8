#include "common/json_writer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptc {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

TEST(JsonWriterTest, WritesCompactJsonInOrder) {
  JsonWriter w;
  w.BeginObject().Key("model").String("m").Key("messages").BeginArray();
  w.BeginObject()
      .Key("role")
      .String("user")
      .Key("content")
      .String("a \"q\"\n\t\\ \x01")
      .EndObject();
  w.BeginObject().EndObject();
  w.EndArray().Key("n").Uint(4).Key("seed").Int(-3).Key("t").Double(0.5).Key("s").Bool(true);
  w.Key("e").BeginArray().EndArray().EndObject();
  EXPECT_EQ(w.Take(),
            R"({"model":"m","messages":[{"role":"user","content":"a \"q\"\n\t\\ \u0001"},{}],)"
            R"("n":4,"seed":-3,"t":0.5,"s":true,"e":[]})");
  w.BeginArray().EndArray();
  EXPECT_EQ(w.Take(), "[]");  // Take leaves the writer empty
}

TEST(JsonWriterTest, NonAsciiIsKeptAndInvalidUtf8Replaced) {
  JsonWriter w;
  w.BeginArray().String("\xCE\xB1 + \xE2\x88\x9A\"").String("bad \xFF byte").EndArray();
  EXPECT_EQ(w.Take(), "[\"\xCE\xB1 + \xE2\x88\x9A\\\"\",\"bad \xEF\xBF\xBD byte\"]");
}

TEST(JsonWriterTest, NumbersAsNlohmannWritesThem) {
  JsonWriter w;
  w.BeginArray().Double(0.7f).Double(1e300).Double(std::nan("")).Double(-0.0);
  w.Int(std::numeric_limits<int64_t>::min()).Uint(std::numeric_limits<uint64_t>::max());
  w.EndArray();
  EXPECT_EQ(w.Take(),
            Dump(Json::array({0.7f, 1e300, std::nan(""), -0.0, std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<uint64_t>::max()})));
}

// Random documents, written both ways, give the same bytes.
class RandomDocument {
 public:
  explicit RandomDocument(uint32_t seed) : rng_(seed) {}

  // Writes one value to `w` and returns it as a DOM.
  Json Value(JsonWriter& w, int depth) {
    switch (Pick(depth < 3 ? 7 : 5)) {
      case 0: {
        const std::string s = RandomString();
        w.String(s);
        return s;
      }
      case 1: {
        const auto v = static_cast<int64_t>(rng_());
        w.Int(v);
        return v;
      }
      case 2: {
        const double v = std::ldexp(static_cast<double>(rng_()) - 2e9, Pick(80) - 40);
        w.Double(v);
        return v;
      }
      case 3: {
        const bool v = Pick(2) == 1;
        w.Bool(v);
        return v;
      }
      case 4: {
        const uint64_t v = rng_() * 4'294'967'311ull;
        w.Uint(v);
        return v;
      }
      case 5: {
        Json object = Json::object();
        w.BeginObject();
        for (int i = Pick(4); i > 0; --i) {
          const std::string key = RandomString() + std::to_string(i);  // distinct keys
          w.Key(key);
          object[key] = Value(w, depth + 1);
        }
        w.EndObject();
        return object;
      }
      default: {
        Json array = Json::array();
        w.BeginArray();
        for (int i = Pick(4); i > 0; --i) array.push_back(Value(w, depth + 1));
        w.EndArray();
        return array;
      }
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  // Mostly printable ASCII, with control bytes, quotes, backslashes, 0x7F and, in one string in
  // four, bytes >= 0x80 (valid UTF-8 or not).
  std::string RandomString() {
    static constexpr char kSpecial[] = "\"\\\b\f\n\r\t\x01\x1f\x7f/";
    std::string s;
    const bool high = Pick(4) == 0;
    for (int i = Pick(40); i > 0; --i) {
      const int kind = Pick(10);
      if (kind < 6) {
        s += static_cast<char>(0x20 + Pick(0x5F));
      } else if (kind < 8) {
        s += kSpecial[Pick(sizeof(kSpecial) - 1)];
      } else if (high) {
        s += Pick(2) == 0 ? "\xC3\xA9" : std::string(1, static_cast<char>(0x80 + Pick(0x80)));
      }
    }
    return s;
  }

  std::mt19937 rng_;
};

TEST(JsonWriterTest, RandomDocumentsMatchNlohmann) {
  for (uint32_t seed = 1; seed <= 2000; ++seed) {
    RandomDocument doc(seed);
    JsonWriter w;
    w.BeginObject().Key("root");
    Json root = Json::object();
    root["root"] = doc.Value(w, 0);
    w.EndObject();
    ASSERT_EQ(w.Take(), Dump(root)) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ptc
