// End-to-end checks on payloads shaped exactly like what each SDK sends (testdata/).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "event/grouping.h"
#include "event/normalize.h"
#include "event/test_support.h"

namespace ferry::event {
namespace {

using testing::MustNormalize;
using testing::ReadTestdata;
using testing::Tag;

boost::json::object Stored(const NormalizedEvent& ev) {
  return boost::json::parse(ev.normalized_json).as_object();
}

TEST(SdkFixturesTest, PythonDjangoChainedException) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("python_error.json"));
  EXPECT_EQ(ev.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
  EXPECT_EQ(FormatRfc3339(ev.timestamp), "2024-03-11T10:15:30.123456Z");
  EXPECT_EQ(ev.type, "error");
  EXPECT_EQ(ev.platform, "python");
  EXPECT_EQ(ev.title, "ValueError: Invalid order payload for customer 1029");
  EXPECT_EQ(ev.culprit, "/api/orders/");  // Sentry prefers the transaction to a frame
  EXPECT_EQ(ev.metadata.type, "ValueError");
  EXPECT_EQ(ev.metadata.function, "load_order");
  EXPECT_EQ(ev.metadata.filename, ev.exceptions[1].stacktrace->frames.back().filename);
  EXPECT_EQ(Tag(ev, "handled"), "no");
  EXPECT_EQ(Tag(ev, "mechanism"), "django");
  EXPECT_EQ(Tag(ev, "runtime.name"), "CPython");
  EXPECT_EQ(Tag(ev, "user"), "id:" + ev.user.id);
  ASSERT_EQ(ev.exceptions.size(), 2u);
  EXPECT_EQ(ev.exceptions[1].handled, false);
  EXPECT_EQ(ev.exceptions[1].mechanism_type, "django");
  const Frame& top = ev.exceptions[1].stacktrace->frames.back();
  EXPECT_EQ(top.lineno, 44);
  EXPECT_EQ(top.in_app, true);
  EXPECT_EQ(top.pre_context.size(), 2u);
  EXPECT_NE(top.vars_json.find("payload"), std::string::npos);
  EXPECT_EQ(ev.transaction, "/api/orders/");
  EXPECT_EQ(ev.release, "shop@2024.03.11");
  EXPECT_EQ(ev.environment, "production");
  EXPECT_EQ(ev.server_name, "web-1");
  EXPECT_EQ(ev.sdk.name, "sentry.python.django");
  EXPECT_EQ(ev.sdk.version, "1.40.6");
  EXPECT_EQ(ev.user.email, "jane@example.com");
  EXPECT_EQ(ev.request.query_string, "debug=1");
  EXPECT_EQ(ev.request.headers.size(), 3u);  // the Cookie header is not kept
  EXPECT_EQ(ev.request.data, R"({"customer":"c_1029","items":[{"sku":"A-1","qty":2}]})");
  ASSERT_EQ(ev.breadcrumbs.size(), 2u);
  EXPECT_EQ(ev.breadcrumbs[1].category, "query");
  EXPECT_EQ(ev.breadcrumbs[1].level, "info");
  EXPECT_NE(ev.contexts_json.find("CPython"), std::string::npos);
  EXPECT_NE(ev.extra_json.find("sys.argv"), std::string::npos);

  boost::json::object stored = Stored(ev);
  EXPECT_EQ(stored.at("title").as_string(), ev.title);
  EXPECT_EQ(stored.at("exception").at("values").as_array().size(), 2u);
  EXPECT_EQ(stored.at("contexts").at("runtime").at("name").as_string(), "CPython");
  EXPECT_FALSE(stored.contains("modules"));
}

TEST(SdkFixturesTest, SentryNodeExpressError) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("node_error.json"));
  EXPECT_EQ(ev.title, "TypeError: Cannot read properties of undefined (reading 'email')");
  EXPECT_EQ(ev.culprit, "GET /users/:id");  // the transaction
  EXPECT_EQ(FormatRfc3339(ev.timestamp), "2024-03-11T10:15:30.518000Z");
  EXPECT_EQ(ev.request.method, "GET");
  for (const KeyValue& h : ev.request.headers) EXPECT_NE(h.key, "authorization");
  ASSERT_EQ(ev.breadcrumbs.size(), 2u);
  EXPECT_EQ(ev.breadcrumbs[1].level, "warning");
  EXPECT_EQ(ev.breadcrumbs[0].type, "http");
  EXPECT_EQ(ev.breadcrumbs[0].timestamp, "2024-03-11T10:15:30.201000Z");
  EXPECT_EQ(ev.tags[0].key, "region");  // the SDK's tags first, then the derived ones
  EXPECT_EQ(Tag(ev, "transaction"), "GET /users/:id");
  EXPECT_EQ(Tag(ev, "level"), "error");

  Grouping g = ComputeGrouping(ev);
  EXPECT_EQ(g.method, "stacktrace");
  EXPECT_EQ(g.components,
            (std::vector<std::string>{"type:TypeError", "frame:routes:users getProfile",
                                      "frame:services:format formatEmail"}));
}

TEST(SdkFixturesTest, SentryBrowserUnhandledRejection) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("browser_error.json"));
  EXPECT_EQ(ev.platform, "javascript");
  EXPECT_EQ(ev.title,
            "Error: Checkout failed for cart 8812: payment provider timeout after 30000ms");
  // The frame's URL became its abs_path; the filename, and so the culprit, is the URL's path.
  EXPECT_EQ(ev.culprit, "async submitPayment(/assets/index-4f3a2b1c.js)");
  EXPECT_EQ(ev.user.ip_address, "198.51.100.7");
  EXPECT_EQ(ev.breadcrumbs.size(), 3u);
  EXPECT_EQ(ev.breadcrumbs[2].level, "error");
  EXPECT_EQ(ComputeGrouping(ev).method, "stacktrace");
}

TEST(SdkFixturesTest, SentryDartFlutterError) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("flutter_error.json"));
  EXPECT_EQ(ev.platform, "other");
  EXPECT_EQ(ev.title, "StateError: Bad state: No element");
  EXPECT_EQ(ev.culprit, "todo_repository.dart in TodoRepository.byId");
  EXPECT_EQ(ev.dist, "41");
  EXPECT_EQ(ev.exceptions[0].handled, true);
  EXPECT_EQ(ev.exceptions[0].stacktrace->frames.size(), 6u);
  EXPECT_EQ(ev.sdk.name, "sentry.dart.flutter");
}

TEST(SdkFixturesTest, SentryCliSendEvent) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("cli_event.json"));
  EXPECT_EQ(ev.type, "default");
  EXPECT_EQ(ev.message, "Backup of db-main failed after 3 attempts");
  EXPECT_EQ(ev.message_template, "Backup of %s failed after %s attempts");
  EXPECT_EQ(ev.title, "Backup of db-main failed after 3 attempts");
  EXPECT_EQ(ev.culprit, "");
  EXPECT_EQ(ev.logger, "cron");
  EXPECT_EQ(ev.timestamp, std::chrono::system_clock::time_point(std::chrono::seconds(1710152130)));
  EXPECT_EQ(ev.tags[0].key, "job");
  EXPECT_EQ(ev.tags[0].value, "nightly-backup");
  EXPECT_EQ(ev.user.username, "root");
  EXPECT_EQ(ev.user.ip_address, "198.51.100.7");
  EXPECT_EQ(ev.fingerprint, (std::vector<std::string>{"nightly-backup", "{{ default }}"}));
  boost::json::object stored = Stored(ev);
  EXPECT_EQ(stored.at("logentry").at("message").as_string(), ev.message_template);
  EXPECT_EQ(stored.at("extra").at("exit_code").as_int64(), 2);
}

TEST(SdkFixturesTest, PythonLoggingMessage) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("message_event.json"));
  EXPECT_EQ(ev.level, Level::kWarning);
  EXPECT_EQ(ev.type, "default");
  EXPECT_EQ(ev.title, "Payment for order o_55812 retried 3 times");
  EXPECT_EQ(ev.logger, "shop.payments");
  EXPECT_TRUE(ev.breadcrumbs.empty());
  EXPECT_EQ(ComputeGrouping(ev).method, "message");
}

TEST(SdkFixturesTest, CocoaCrashUsesCrashedThreadStack) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("native_crash.json"));
  EXPECT_EQ(ev.level, Level::kFatal);
  EXPECT_EQ(ev.title, "EXC_BAD_ACCESS: Crashed: com.apple.main-thread");
  ASSERT_TRUE(ev.thread_stacktrace.has_value());
  EXPECT_EQ(ev.thread_stacktrace->frames.size(), 4u);
  EXPECT_EQ(ev.culprit, "-[NoteEditor saveNote:]");  // native: the function alone
  EXPECT_TRUE(Stored(ev).contains("stacktrace"));
}

}  // namespace
}  // namespace ferry::event
