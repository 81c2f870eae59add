// Golden cases: hand-written events, one per normalization rule (testdata/golden/*.json), each
// with what Sentry shows for it: title, culprit, metadata, location, tags, contexts, user,
// errors and timestamp. docs/normalization.md lists the rules.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>

#include "event/normalize.h"
#include "event/test_support.h"
#include "event/user_agent.h"

namespace ferry::event {
namespace {

namespace json = boost::json;
using testing::ReadTestdata;
using testing::TestOptions;

const UserAgentParser* Parser() {
  static const UserAgentParser* parser = [] {
    auto loaded = UserAgentParser::Load(kDefaultUserAgentRegexes);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? std::move(loaded).value().release() : nullptr;
  }();
  return parser;
}

std::string Text(const json::value* v) {
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesSentry) {
  json::value golden = json::parse(ReadTestdata("golden/" + GetParam()));
  const json::object& expect = golden.at("expect").as_object();
  SCOPED_TRACE(Text(golden.as_object().if_contains("rule")));
  NormalizeOptions opts = TestOptions();
  opts.user_agents = Parser();
  auto result = Normalize(json::serialize(golden.at("event")), opts);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const NormalizedEvent& ev = *result;

  for (auto [key, got] :
       {std::pair{"type", ev.type}, std::pair{"title", ev.title}, std::pair{"culprit", ev.culprit},
        std::pair{"location", ev.metadata.filename},
        std::pair{"timestamp", FormatRfc3339(ev.timestamp)}}) {
    if (const json::value* want = expect.if_contains(key)) {
      EXPECT_EQ(got, Text(want)) << key;
    }
  }
  if (const json::value* want = expect.if_contains("metadata")) {
    const Metadata& m = ev.metadata;
    for (auto [key, got] :
         {std::pair{"type", m.type}, std::pair{"value", m.value}, std::pair{"filename", m.filename},
          std::pair{"function", m.function}, std::pair{"title", m.title}}) {
      EXPECT_EQ(got, Text(want->as_object().if_contains(key))) << "metadata." << key;
    }
  }
  if (const json::value* want = expect.if_contains("tags")) {
    std::map<std::string, std::string> got, wanted;
    for (const KeyValue& kv : ev.tags) got[kv.key] = kv.value;
    for (const auto& member : want->as_object()) wanted[member.key()] = Text(&member.value());
    EXPECT_EQ(got, wanted) << "tags";
  }
  if (const json::value* want = expect.if_contains("contexts")) {
    json::value stored = json::parse(ev.contexts_json.empty() ? "{}" : ev.contexts_json);
    for (const auto& member : want->as_object()) {
      const json::value* got = stored.as_object().if_contains(member.key());
      EXPECT_TRUE(got != nullptr && *got == member.value())
          << "contexts." << member.key() << " is " << (got ? json::serialize(*got) : "missing");
    }
  }
  if (const json::value* want = expect.if_contains("user")) {
    const User& u = ev.user;
    for (auto [key, got] :
         {std::pair{"id", u.id}, std::pair{"email", u.email}, std::pair{"username", u.username},
          std::pair{"ip_address", u.ip_address}, std::pair{"name", u.name}}) {
      EXPECT_EQ(got, want->is_object() ? Text(want->as_object().if_contains(key)) : "")
          << "user." << key;
    }
  }
  if (const json::value* want = expect.if_contains("errors")) {
    std::vector<std::pair<std::string, std::string>> got, wanted;
    for (const EventError& e : ev.errors) got.emplace_back(e.type, e.name);
    for (const json::value& e : want->as_array()) {
      wanted.emplace_back(Text(&e.as_array()[0]), Text(&e.as_array()[1]));
    }
    EXPECT_EQ(got, wanted) << "errors";
  }
  // What was computed is what is stored.
  json::value stored = json::parse(ev.normalized_json);
  EXPECT_EQ(Text(stored.as_object().if_contains("title")), ev.title);
  EXPECT_EQ(Text(stored.at("metadata").as_object().if_contains("filename")), ev.metadata.filename);
}

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(FERRY_EVENT_TESTDATA) + "/golden")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Rules, GoldenTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace ferry::event
