#include "event/tags.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ferry::event {
namespace {

std::vector<KeyValue> TagsOf(std::string_view contexts) {
  return ContextTags(boost::json::parse(contexts).as_object());
}

TEST(TagsTest, ReservedTagsGoAndALegacyEnvironmentTagBecomesTheEnvironment) {
  NormalizedEvent ev;
  ev.tags = {{"environment", "  staging "},
             {"release", "fake"},
             {"dist", "d"},
             {"user", "id:forged"},
             {"filename", "f"},
             {"function", "g"},
             {"server", "a"}};
  TakeReservedTags(ev);
  EXPECT_EQ(ev.environment, "staging");
  ASSERT_EQ(ev.tags.size(), 1u);
  EXPECT_EQ(ev.tags[0].key, "server");

  // An environment the event names wins over the tag, which still goes.
  NormalizedEvent named;
  named.environment = "production";
  named.tags = {{"environment", "staging"}};
  TakeReservedTags(named);
  EXPECT_EQ(named.environment, "production");
  EXPECT_TRUE(named.tags.empty());

  NormalizedEvent long_one;
  long_one.tags = {{"environment", std::string(100, 'e')}};
  TakeReservedTags(long_one);
  EXPECT_EQ(long_one.environment, std::string(kMaxEnvironmentBytes, 'e'));
}

TEST(TagsTest, ValidKeys) {
  EXPECT_TRUE(IsValidTagKey("browser.name"));
  EXPECT_TRUE(IsValidTagKey("a-b_c:d"));
  EXPECT_FALSE(IsValidTagKey(""));
  EXPECT_FALSE(IsValidTagKey("has space"));
  EXPECT_FALSE(IsValidTagKey(std::string(201, 'k')));
  EXPECT_TRUE(IsValidTagKey(std::string(200, 'k')));
}

TEST(TagsTest, ValuesAsSentryStoresThem) {
  auto text = [](std::string_view json) {
    auto v = boost::json::parse(json);
    return TagValueText(&v);
  };
  EXPECT_EQ(text("true"), "True");
  EXPECT_EQ(text("false"), "False");
  EXPECT_EQ(text("42"), "42");
  EXPECT_EQ(text("\"x\""), "x");
  EXPECT_EQ(text("null"), std::nullopt);
  EXPECT_EQ(text("{}"), std::nullopt);
}

TEST(TagsTest, UserTagPrefersIdThenUsernameThenEmailThenIp) {
  auto user = [](std::string id, std::string username, std::string email, std::string ip) {
    User u;
    u.id = std::move(id);
    u.username = std::move(username);
    u.email = std::move(email);
    u.ip_address = std::move(ip);
    return UserTagValue(u);
  };
  EXPECT_EQ(user("7", "u", "a@b", "1.2.3.4"), "id:7");
  EXPECT_EQ(user("", "u", "a@b", ""), "username:u");
  EXPECT_EQ(user("", "", "a@b", "1.2.3.4"), "email:a@b");
  EXPECT_EQ(user("", "", "", "1.2.3.4"), "ip:1.2.3.4");
  EXPECT_EQ(user("", "", "", ""), "");
}

TEST(TagsTest, ContextTagsByTypeNamedAfterTheKey) {
  auto tags = TagsOf(R"({
    "browser": {"name": "Firefox", "version": "75.0"},
    "server-os": {"type": "os", "name": "Ubuntu", "version": "22.04"},
    "runtime": {"name": "CPython", "version": "3.11.2"},
    "device": {"family": "Pixel 7", "model": "Pixel 7 Pro"},
    "trace": {"trace_id": "abc"},
    "weird": "not an object"})");
  std::vector<std::pair<std::string, std::string>> got;
  got.reserve(tags.size());
  for (auto& kv : tags) got.emplace_back(kv.key, kv.value);
  std::vector<std::pair<std::string, std::string>> want = {
      {"browser", "Firefox 75.0"},  {"browser.name", "Firefox"},   {"server-os", "Ubuntu 22.04"},
      {"server-os.name", "Ubuntu"}, {"runtime", "CPython 3.11.2"}, {"runtime.name", "CPython"},
      {"device", "Pixel 7 Pro"},    {"device.family", "Pixel 7"},
  };
  EXPECT_EQ(got, want);
}

TEST(TagsTest, ContextWithoutVersionTagsTheNameAlone) {
  auto tags = TagsOf(R"({"os": {"name": "Linux"}})");
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].value, "Linux");
}

}  // namespace
}  // namespace ferry::event
