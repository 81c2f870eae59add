#include "event/user_agent.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

namespace ferry::event {
namespace {

const UserAgentParser& Parser() {
  static const auto* parser = [] {
    auto loaded = UserAgentParser::Load(kDefaultUserAgentRegexes, 8);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? std::move(loaded).value().release() : nullptr;
  }();
  return *parser;
}

TEST(UserAgentParserTest, LoadsDebiansRegexesWithEveryPatternCompiled) {
  UserAgentStats s = Parser().stats();
  EXPECT_GT(s.patterns, 1000u);
  EXPECT_EQ(s.skipped, 0u);
  // Whatever strings come, RE2's memory for all patterns and sets stays within this.
  EXPECT_LT(s.max_mem, 160u << 20) << s.max_mem;
}

TEST(UserAgentParserTest, FirefoxOnWindows) {
  UserAgentInfo info = *Parser().Parse(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:75.0) Gecko/20100101 Firefox/75.0");
  EXPECT_EQ(info.browser.family, "Firefox");
  EXPECT_EQ(info.browser.Joined(), "75.0");
  EXPECT_EQ(info.os.family, "Windows");
  EXPECT_EQ(info.os.Joined(), "10");
  EXPECT_EQ(info.device_family, "");  // uap-core's "Other"
}

TEST(UserAgentParserTest, ChromeOnAndroidPhoneHasADevice) {
  UserAgentInfo info = *Parser().Parse(
      "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.6099.144 Mobile Safari/537.36");
  EXPECT_EQ(info.browser.family, "Chrome Mobile");
  EXPECT_EQ(info.browser.Joined(), "120.0.6099");
  EXPECT_EQ(info.os.family, "Android");
  EXPECT_EQ(info.os.Joined(), "13");
  EXPECT_EQ(info.device_family, "Pixel 7");
  EXPECT_EQ(info.device_brand, "Google");
  EXPECT_EQ(info.device_model, "Pixel 7");
}

TEST(UserAgentParserTest, SafariOnMacAndIphone) {
  UserAgentInfo mac = *Parser().Parse(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.1 Safari/605.1.15");
  EXPECT_EQ(mac.browser.family, "Safari");
  EXPECT_EQ(mac.browser.Joined(), "17.1");
  EXPECT_EQ(mac.os.family, "Mac OS X");
  EXPECT_EQ(mac.os.Joined(), "10.15.7");
  UserAgentInfo phone = *Parser().Parse(
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Mobile/15E148 Safari/604.1");
  EXPECT_EQ(phone.browser.family, "Mobile Safari");
  EXPECT_EQ(phone.os.family, "iOS");
  EXPECT_EQ(phone.device_family, "iPhone");
  EXPECT_EQ(phone.device_brand, "Apple");
}

TEST(UserAgentParserTest, UnknownAndHostileStringsGiveNothing) {
  UserAgentInfo none = *Parser().Parse("");
  EXPECT_EQ(none.browser.family, "");
  EXPECT_EQ(none.os.family, "");
  // Linear-time matching: a long run that would make a backtracking engine crawl.
  UserAgentInfo junk = *Parser().Parse(std::string(100000, 'a') + "(");
  EXPECT_EQ(junk.browser.family, "");
}

TEST(UserAgentParserTest, CachesByStringAndStaysBounded) {
  auto loaded = UserAgentParser::Load(kDefaultUserAgentRegexes, 2);
  ASSERT_TRUE(loaded.ok());
  const UserAgentParser& p = **loaded;
  const std::string a = "curl/8.0.1", b = "Wget/1.21", c = "python-requests/2.31.0";
  p.Parse(a);
  p.Parse(a);  // a hit: a is marked as used
  p.Parse(b);
  p.Parse(c);  // full: b goes (a was used since the last sweep, and loses its mark)
  p.Parse(a);  // still there
  p.Parse(b);  // gone: parsed again
  UserAgentStats s = p.stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 4u);
  EXPECT_EQ(p.Parse(c)->browser.family, "Python Requests");
  // The same answer, cached or not.
  EXPECT_EQ(p.Parse(a)->browser.family, "curl");
}

TEST(UserAgentParserTest, MissingOrBrokenFileIsAnError) {
  auto missing = UserAgentParser::Load("/nonexistent/regexes.yaml");
  EXPECT_EQ(missing.status().code(), base::Code::kNotFound);
  auto path = std::filesystem::temp_directory_path() / "ferry_ua_test.yaml";
  std::ofstream(path) << "user_agent_parsers: [[[\n";
  auto broken = UserAgentParser::Load(path.string());
  EXPECT_EQ(broken.status().code(), base::Code::kInvalidArgument);
  std::ofstream(path) << "something_else: 1\n";
  auto empty = UserAgentParser::Load(path.string());
  EXPECT_EQ(empty.status().code(), base::Code::kInvalidArgument);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ferry::event

namespace ferry::event {
namespace {

// uap-core's own test cases (Debian ships them beside the regexes): every port of the
// regexes must give these answers.
struct Expectation {
  std::string ua, family, major, minor, patch;
};

std::vector<Expectation> Cases(const std::string& file, const char* family_key) {
  std::vector<Expectation> out;
  YAML::Node root = YAML::LoadFile("/usr/share/uap-core/tests/" + file);
  auto text = [](const YAML::Node& n) { return n && !n.IsNull() ? n.as<std::string>() : ""; };
  for (const YAML::Node& c : root["test_cases"]) {
    std::string family = text(c[family_key]);
    out.push_back({text(c["user_agent_string"]), family == "Other" ? "" : family, text(c["major"]),
                   text(c["minor"]), text(c["patch"])});
  }
  return out;
}

TEST(UserAgentParserTest, AnswersUapCoresOwnBrowserAndOsTests) {
  for (auto [file, is_os] : {std::pair{"test_ua.yaml", false}, std::pair{"test_os.yaml", true}}) {
    size_t cases = 0, wrong = 0;
    for (const Expectation& e : Cases(file, "family")) {
      ++cases;
      std::shared_ptr<const UserAgentInfo> info = Parser().Parse(e.ua);
      const UserAgentInfo::Version& v = is_os ? info->os : info->browser;
      // An unknown family drops its version too (UserAgentInfo); compare like with like.
      bool ok =
          v.family == e.family &&
          (e.family.empty() || (v.major == e.major && v.minor == e.minor && v.patch == e.patch));
      if (!ok && ++wrong <= 5) {
        ADD_FAILURE() << file << ": " << e.ua << "\n  want " << e.family << " " << e.major << "."
                      << e.minor << "." << e.patch << "\n  got  " << v.family << " " << v.major
                      << "." << v.minor << "." << v.patch;
      }
    }
    EXPECT_GT(cases, 400u) << file;
    EXPECT_EQ(wrong, 0u) << file << ": " << wrong << " of " << cases << " wrong";
  }
}

TEST(UserAgentParserTest, AnswersUapCoresOwnDeviceTests) {
  YAML::Node root = YAML::LoadFile("/usr/share/uap-core/tests/test_device.yaml");
  auto text = [](const YAML::Node& n) { return n && !n.IsNull() ? n.as<std::string>() : ""; };
  size_t cases = 0, wrong = 0, seen = 0;
  for (const YAML::Node& c : root["test_cases"]) {
    // Every eighth of the 16,000 cases: all of them take long under the sanitizers.
    if (seen++ % 8 != 0) continue;
    ++cases;
    std::string family = text(c["family"]);
    if (family == "Other") family.clear();
    std::shared_ptr<const UserAgentInfo> info = Parser().Parse(text(c["user_agent_string"]));
    bool ok = info->device_family == family &&
              (family.empty() ||
               (info->device_brand == text(c["brand"]) && info->device_model == text(c["model"])));
    if (!ok && ++wrong <= 5) {
      ADD_FAILURE() << text(c["user_agent_string"]) << "\n  want " << family << " / "
                    << text(c["brand"]) << " / " << text(c["model"]) << "\n  got  "
                    << info->device_family << " / " << info->device_brand << " / "
                    << info->device_model;
    }
  }
  EXPECT_GT(cases, 1500u);
  EXPECT_EQ(wrong, 0u) << wrong << " of " << cases << " wrong";
}

}  // namespace
}  // namespace ferry::event
