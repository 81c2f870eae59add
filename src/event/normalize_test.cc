#include "event/normalize.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "event/test_support.h"

namespace ferry::event {
namespace {

using testing::ErrorNames;
using testing::MustNormalize;
using testing::TestNow;
using testing::TestOptions;

boost::json::value ParseOut(const NormalizedEvent& ev) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(ev.normalized_json, ec);
  EXPECT_FALSE(ec) << "normalized_json is not JSON: " << ec.message();
  return v;
}

TEST(NormalizeTest, EventIdDashesAndCaseAreRemoved) {
  auto ev = MustNormalize(R"({"event_id": "9EC79C33-EC99-42AB-8353-589FCB2E04DC"})");
  EXPECT_EQ(ev.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
  ev = MustNormalize(R"({"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"})");
  EXPECT_EQ(ev.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
}

TEST(NormalizeTest, MissingEventIdGetsRandomUuid4) {
  auto a = MustNormalize("{}");
  auto b = MustNormalize(R"({"event_id": null})");
  ASSERT_EQ(a.event_id.size(), 32u);
  EXPECT_EQ(a.event_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a.event_id[12], '4');
  EXPECT_NE(a.event_id, b.event_id);
}

TEST(NormalizeTest, BadEventIdIsRefused) {
  for (const char* json :
       {R"({"event_id": "zzc79c33ec9942ab8353589fcb2e04dc"})",
        R"({"event_id": "9ec79c33ec9942ab"})",
        R"({"event_id": "9ec79c33ec9942ab8353589fcb2e04dc00"})", R"({"event_id": 12345})"}) {
    auto r = Normalize(json, TestOptions());
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << json;
  }
}

TEST(NormalizeTest, NonJsonAndNonObjectsAreInvalidArgument) {
  for (const char* json : {"", "not json", "{\"a\": 1", "[1,2,3]", "\"event\"", "42", "null",
                           "{\"a\": \"\xff\xfe\"}"}) {
    auto r = Normalize(json, TestOptions());
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << json;
  }
}

TEST(NormalizeTest, HundredThousandNestedArraysAreRefusedCleanly) {
  NormalizeOptions opts = TestOptions();
  opts.max_event_bytes = 1 << 20;
  std::string deep(100000, '[');
  auto r = Normalize(deep + std::string(100000, ']'), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);

  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  r = Normalize(objects + "1" + std::string(100000, '}'), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
}

TEST(NormalizeTest, NestingWithinTheLimitIsKeptBounded) {
  std::string extra;
  for (int i = 0; i < 60; ++i) extra += "{\"a\":";
  extra += "1" + std::string(60, '}');
  auto ev = MustNormalize(R"({"extra": )" + extra + "}");
  EXPECT_FALSE(ev.extra_json.empty());
  EXPECT_NE(ev.extra_json.find("\"...\""), std::string::npos);
  ParseOut(ev);
}

TEST(NormalizeTest, OversizedEventIsTooLarge) {
  NormalizeOptions opts = TestOptions();
  opts.max_event_bytes = 100;
  auto r = Normalize(R"({"message": ")" + std::string(200, 'x') + "\"}", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kTooLarge);
}

TEST(NormalizeTest, TimestampFormsAndDefault) {
  const auto kAt = std::chrono::system_clock::time_point(std::chrono::seconds(1710152130));
  EXPECT_EQ(MustNormalize(R"({"timestamp": "2024-03-11T10:15:30Z"})").timestamp, kAt);
  EXPECT_EQ(MustNormalize(R"({"timestamp": 1710152130})").timestamp, kAt);
  EXPECT_EQ(MustNormalize(R"({"timestamp": 1710152130.5})").timestamp,
            kAt + std::chrono::milliseconds(500));
  auto absent = MustNormalize("{}");
  EXPECT_EQ(absent.timestamp, TestNow());
  EXPECT_EQ(absent.received, TestNow());
  EXPECT_TRUE(absent.errors.empty());
}

TEST(NormalizeTest, FarFutureAndFarPastTimestampsBecomeReceiveTime) {
  auto future = MustNormalize(R"({"timestamp": "2031-01-01T00:00:00Z"})");
  EXPECT_EQ(future.timestamp, TestNow());
  EXPECT_EQ(ErrorNames(future), "future_timestamp timestamp");
  auto past = MustNormalize(R"({"timestamp": 946684800})");
  EXPECT_EQ(past.timestamp, TestNow());
  EXPECT_EQ(ErrorNames(past), "past_timestamp timestamp");
  EXPECT_EQ(past.errors[0].value, "2000-01-01T00:00:00.000000Z");
  auto huge = MustNormalize(R"({"timestamp": 1e300})");
  EXPECT_EQ(huge.timestamp, TestNow());
  auto garbage = MustNormalize(R"({"timestamp": "last tuesday"})");
  EXPECT_EQ(garbage.timestamp, TestNow());
  EXPECT_EQ(ErrorNames(garbage), "invalid_data timestamp");
}

TEST(NormalizeTest, SentAtCorrectsDriftedClockForEventAndBreadcrumbs) {
  NormalizeOptions opts = TestOptions();
  opts.sent_at = TestNow() - std::chrono::hours(3);
  auto ev = MustNormalize(R"({"timestamp": 1710141360,
      "breadcrumbs": [{"timestamp": 1710141350, "message": "x"}]})",
                          opts);
  // 1710141360 is 10:16:00 minus three hours: the device clock is three hours behind.
  EXPECT_EQ(ev.timestamp, TestNow());
  ASSERT_EQ(ev.breadcrumbs.size(), 1u);
  EXPECT_EQ(ev.breadcrumbs[0].timestamp, "2024-03-11T10:15:50.000000Z");
}

TEST(NormalizeTest, LevelAliasesAndDefault) {
  EXPECT_EQ(MustNormalize("{}").level, Level::kError);
  EXPECT_EQ(MustNormalize(R"({"level": "warn"})").level, Level::kWarning);
  EXPECT_EQ(MustNormalize(R"({"level": "CRITICAL"})").level, Level::kFatal);
  EXPECT_EQ(MustNormalize(R"({"level": 20})").level, Level::kInfo);
  auto bad = MustNormalize(R"({"level": "loud"})");
  EXPECT_EQ(bad.level, Level::kError);
  EXPECT_EQ(ErrorNames(bad), "invalid_data level");
}

TEST(NormalizeTest, PlatformFallsBackToProjectDefault) {
  NormalizeOptions opts = TestOptions();
  opts.default_platform = "python";
  EXPECT_EQ(MustNormalize("{}", opts).platform, "python");
  EXPECT_EQ(MustNormalize(R"({"platform": "Node"})", opts).platform, "node");
  EXPECT_EQ(MustNormalize(R"({"platform": "no spaces"})", opts).platform, "python");
  EXPECT_EQ(MustNormalize("{}").platform, "other");
}

TEST(NormalizeTest, MessageFormsAndParams) {
  auto plain = MustNormalize(R"({"message": "Disk almost full"})");
  EXPECT_EQ(plain.message, "Disk almost full");
  EXPECT_EQ(plain.type, "default");
  auto params = MustNormalize(
      R"({"logentry": {"message": "User %s has %d%% quota", "params": ["bob", 93]}})");
  EXPECT_EQ(params.message, "User bob has 93% quota");
  EXPECT_EQ(params.message_template, "User %s has %d%% quota");
  auto named =
      MustNormalize(R"({"message": {"message": "Hello %(name)s", "params": {"name": "Ann"}}})");
  EXPECT_EQ(named.message, "Hello Ann");
  auto formatted =
      MustNormalize(R"({"logentry": {"formatted": "Already done"}, "message": "ignored"})");
  EXPECT_EQ(formatted.message, "Already done");
  EXPECT_EQ(formatted.message_template, "Already done");
}

TEST(NormalizeTest, TagsFromObjectOrPairsInOrderWithUniqueKeys) {
  auto obj = MustNormalize(R"({"tags": {"b": "2", "a": 1, "c": true, "n": null, "e": ""}})");
  ASSERT_EQ(obj.tags.size(), 4u);  // and the derived "level"
  EXPECT_EQ(obj.tags[0].key, "b");
  EXPECT_EQ(obj.tags[1].value, "1");
  EXPECT_EQ(obj.tags[2].value, "True");  // Sentry's spelling of a boolean
  EXPECT_EQ(obj.tags[3].key, "level");
  EXPECT_EQ(ErrorNames(obj), "invalid_data tags.n");
  auto pairs = MustNormalize(
      R"({"tags": [["x", "1"], ["y", "2"], ["x", "3"], ["bad"], {"key": "z", "value": "4"}]})");
  ASSERT_EQ(pairs.tags.size(), 4u);
  EXPECT_EQ(pairs.tags[0].value, "1");
  EXPECT_EQ(pairs.tags[2].key, "z");
  auto long_key = MustNormalize(R"({"tags": {")" + std::string(300, 'k') + R"(": "v"}})");
  EXPECT_EQ(long_key.tags.size(), 1u);
  EXPECT_EQ(long_key.errors.size(), 1u);
}

TEST(NormalizeTest, ExceptionShapes) {
  auto list = MustNormalize(R"({"exception": [{"type": "A", "value": "a"}]})");
  ASSERT_EQ(list.exceptions.size(), 1u);
  EXPECT_EQ(list.type, "error");
  auto single = MustNormalize(R"({"exception": {"type": "B", "value": "b"}})");
  ASSERT_EQ(single.exceptions.size(), 1u);
  EXPECT_EQ(single.exceptions[0].type, "B");
  auto split =
      MustNormalize(R"({"exception": {"values": [{"value": "TypeError: x is undefined"}]}})");
  EXPECT_EQ(split.exceptions[0].type, "TypeError");
  EXPECT_EQ(split.exceptions[0].value, "x is undefined");
  EXPECT_EQ(split.title, "TypeError: x is undefined");
  auto empty = MustNormalize(R"({"exception": {"values": [{}, 5, null]}})");
  EXPECT_TRUE(empty.exceptions.empty());
}

TEST(NormalizeTest, LongStacksKeepBothEnds) {
  std::string frames;
  for (int i = 0; i < 1000; ++i) {
    frames += (i ? "," : "") + std::string(R"({"function": "f)") + std::to_string(i) + "\"}";
  }
  auto ev = MustNormalize(R"({"exception": {"values": [{"type": "RecursionError",
      "stacktrace": {"frames": [)" +
                          frames + "]}}]}}");
  const Stacktrace& st = *ev.exceptions[0].stacktrace;
  ASSERT_EQ(st.frames.size(), 250u);
  EXPECT_EQ(st.frames_omitted, 750u);
  EXPECT_EQ(st.frames.front().function, "f0");
  EXPECT_EQ(st.frames.back().function, "f999");
}

TEST(NormalizeTest, HugeBreadcrumbListKeepsLastHundredAndBoundsOutput) {
  NormalizeOptions opts = TestOptions();
  opts.max_event_bytes = 20 << 20;
  std::string crumbs;
  std::string payload(1000, 'p');
  int count = 0;
  while (crumbs.size() < (10u << 20)) {
    crumbs += (count ? "," : "") + std::string(R"({"timestamp": 1710152100, "message": "crumb )") +
              std::to_string(count) + R"(", "data": {"blob": ")" + payload + "\"}}";
    ++count;
  }
  auto ev = MustNormalize(R"({"breadcrumbs": {"values": [)" + crumbs + "]}}", opts);
  ASSERT_EQ(ev.breadcrumbs.size(), 100u);
  EXPECT_EQ(ev.breadcrumbs_dropped, static_cast<size_t>(count - 100));
  EXPECT_EQ(ev.breadcrumbs.back().message, "crumb " + std::to_string(count - 1));
  EXPECT_LE(ev.normalized_json.size(), opts.max_normalized_bytes);
  ParseOut(ev);
}

TEST(NormalizeTest, ReadsEveryBreadcrumbFieldAndTheLastOfRepeatedKeys) {
  auto ev = MustNormalize(R"({"breadcrumbs": [{"level": "Warning ", "type": "http",
      "category": "xhr", "message": "first", "data": {"url": "/a"}, "message": "second",
      "timestamp": "2024-03-11T10:15:30.5Z"}, {"level": "criticals"}]})");
  ASSERT_EQ(ev.breadcrumbs.size(), 2u);
  const Breadcrumb& b = ev.breadcrumbs[0];
  EXPECT_EQ(b.level, "warning");
  EXPECT_EQ(b.type, "http");
  EXPECT_EQ(b.category, "xhr");
  EXPECT_EQ(b.message, "second");
  EXPECT_EQ(b.data_json, R"({"url":"/a"})");
  EXPECT_EQ(b.timestamp, "2024-03-11T10:15:30.500000Z");
  // Unknown levels read as info, missing types as default.
  EXPECT_EQ(ev.breadcrumbs[1].level, "info");
  EXPECT_EQ(ev.breadcrumbs[1].type, "default");
}

TEST(NormalizeTest, NormalizedJsonRespectsItsCapByDroppingDetail) {
  NormalizeOptions opts = TestOptions();
  opts.max_normalized_bytes = 600;
  std::string crumbs;
  for (int i = 0; i < 50; ++i) crumbs += (i ? "," : "") + std::string(R"({"message": "m"})");
  auto ev = MustNormalize(R"({"message": "hello", "extra": {"k": ")" + std::string(3000, 'v') +
                              R"("}, "breadcrumbs": [)" + crumbs + "]}",
                          opts);
  EXPECT_LE(ev.normalized_json.size(), 600u);
  boost::json::value out = ParseOut(ev);
  EXPECT_TRUE(out.as_object().contains("_trimmed"));
  EXPECT_EQ(out.as_object().at("event_id").as_string(), ev.event_id);
  EXPECT_EQ(ev.breadcrumbs.size(), 50u);  // the struct keeps them; only the JSON is trimmed
}

TEST(NormalizeTest, LongStringsAreCutOnCharacterBoundaries) {
  std::string value;
  for (int i = 0; i < 5000; ++i) value += "\xc3\xa9";  // "é", two bytes each
  auto ev =
      MustNormalize(R"({"exception": {"values": [{"type": "E", "value": ")" + value + "\"}]}}");
  EXPECT_EQ(ev.exceptions[0].value.size(), 8192u);
  ParseOut(ev);
}

TEST(NormalizeTest, UserAutoIpAndSensitiveHeaders) {
  auto ev = MustNormalize(R"({"user": {"id": 42, "ip_address": "{{auto}}"},
      "request": {"method": "post", "url": "https://x/y", "query_string": {"a": "1", "b": "2"},
                  "headers": [["Authorization", "Basic abc"], ["Accept", "*/*"]],
                  "data": "a=1&b=2"}})");
  EXPECT_EQ(ev.user.id, "42");
  EXPECT_EQ(ev.user.ip_address, "198.51.100.7");
  EXPECT_EQ(ev.request.method, "POST");
  EXPECT_EQ(ev.request.query_string, "a=1&b=2");
  ASSERT_EQ(ev.request.headers.size(), 1u);
  EXPECT_EQ(ev.request.headers[0].key, "Accept");
  EXPECT_EQ(ev.request.data, "a=1&b=2");
}

TEST(NormalizeTest, WrongTypesAreIgnoredNotFatal) {
  auto ev = MustNormalize(R"({"tags": 5, "user": "bob", "request": [], "breadcrumbs": "x",
      "contexts": [1], "extra": "e", "sdk": 1, "fingerprint": "fp", "threads": {"values": 3},
      "exception": {"values": "no"}, "logentry": 7, "release": 1.5, "timestamp": null})");
  EXPECT_EQ(ev.tags.size(), 2u);  // only the derived level and release
  EXPECT_TRUE(ev.fingerprint.empty());
  EXPECT_EQ(ev.release, "1.5");
  EXPECT_EQ(ev.title, "<unlabeled event>");
  ParseOut(ev);
}

// Regression: Boost.JSON reads 1e400 as infinity and would write it back as "Infinity".
TEST(NormalizeTest, NonFiniteNumbersStayValidJson) {
  auto ev = MustNormalize(R"({"extra": {"a": 1e400, "b": 0e315}, "timestamp": 0e315})");
  EXPECT_EQ(ev.extra_json, R"({"a":null,"b":null})");
  ParseOut(ev);
}

}  // namespace
}  // namespace ferry::event

namespace ferry::event {
namespace {

// Regression guard: derived tags once scanned every tag for every context, so an event with
// many contexts cost time quadratic in their number; tags and notes are now bounded.
TEST(NormalizeTest, HostileTagsAndContextsStayBounded) {
  std::string contexts, tags;
  for (int i = 0; i < 15000; ++i) {
    if (i) contexts += ",", tags += ",";
    contexts += "\"c" + std::to_string(i) + "\":{\"type\":\"browser\",\"name\":\"B\"}";
    tags += "\"bad key " + std::to_string(i) + "\":\"v\"";
  }
  auto ev = testing::MustNormalize("{\"contexts\":{" + contexts + "},\"tags\":{" + tags + "}}");
  EXPECT_LE(ev.tags.size(), 256u);
  EXPECT_LE(ev.errors.size(), 64u);
  EXPECT_FALSE(ev.normalized_json.empty());
}

}  // namespace
}  // namespace ferry::event
