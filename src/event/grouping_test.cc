#include "event/grouping.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "event/test_support.h"

namespace ferry::event {
namespace {

namespace json = boost::json;
using testing::MustNormalize;
using testing::ReadTestdata;

Grouping GroupJson(const std::string& text) { return ComputeGrouping(MustNormalize(text)); }

// The fixture `name` with `edit` applied to its parsed form.
std::string Edited(const std::string& name, const std::function<void(json::object&)>& edit) {
  json::value v = json::parse(ReadTestdata(name));
  edit(v.as_object());
  return json::serialize(v);
}

json::array& Frames(json::object& event, size_t exception_index) {
  return event["exception"]
      .as_object()["values"]
      .as_array()[exception_index]
      .as_object()["stacktrace"]
      .as_object()["frames"]
      .as_array();
}

TEST(GroupingTest, HashIs32LowercaseHex) {
  Grouping g = GroupJson(ReadTestdata("python_error.json"));
  ASSERT_EQ(g.hash.size(), 32u);
  EXPECT_EQ(g.hash.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(GroupingTest, SameSiteWithOtherLinesValuesAndVarsGroupsTogether) {
  Grouping a = GroupJson(ReadTestdata("python_error.json"));
  Grouping b = GroupJson(Edited("python_error.json", [](json::object& e) {
    e["event_id"] = "00000000000000000000000000000001";
    auto& last = e["exception"].as_object()["values"].as_array()[1].as_object();
    last["value"] = "Invalid order payload for customer 77";
    for (auto& f : Frames(e, 1)) {
      f.as_object()["lineno"] = 1000;
      f.as_object()["vars"] = json::object{{"x", "y"}};
    }
    // A framework frame that moved does not matter either: only in-app frames count.
    Frames(e, 1)[0].as_object()["function"] = "inner_v2";
  }));
  EXPECT_EQ(a.method, "stacktrace");
  EXPECT_EQ(a.hash, b.hash);
}

TEST(GroupingTest, OtherSiteGetsOtherGroup) {
  Grouping a = GroupJson(ReadTestdata("python_error.json"));
  Grouping b = GroupJson(Edited("python_error.json", [](json::object& e) {
    Frames(e, 1)[2].as_object()["function"] = "parse_order";
  }));
  Grouping c = GroupJson(Edited("python_error.json", [](json::object& e) {
    e["exception"].as_object()["values"].as_array()[1].as_object()["type"] = "TypeError";
  }));
  EXPECT_NE(a.hash, b.hash);
  EXPECT_NE(a.hash, c.hash);
}

TEST(GroupingTest, StacktraceComponentsUseLastExceptionInAppFrames) {
  Grouping g = GroupJson(ReadTestdata("python_error.json"));
  EXPECT_EQ(g.components,
            (std::vector<std::string>{"type:ValueError", "frame:shop.views create_order",
                                      "frame:shop.orders load_order"}));
}

TEST(GroupingTest, WithoutInAppFramesAllFramesCount) {
  const char* kEvent = R"({"platform": "python", "exception": {"values": [{"type": "OSError",
      "value": "x", "stacktrace": {"frames": [
        {"module": "socket", "function": "connect", "lineno": %d, "in_app": false},
        {"module": "ssl", "function": "do_handshake", "lineno": 3, "in_app": false}]}}]}})";
  char a[512], b[512];
  std::snprintf(a, sizeof(a), kEvent, 10);
  std::snprintf(b, sizeof(b), kEvent, 99);
  Grouping ga = GroupJson(a);
  EXPECT_EQ(ga.components, (std::vector<std::string>{"type:OSError", "frame:socket connect",
                                                     "frame:ssl do_handshake"}));
  EXPECT_EQ(ga.hash, GroupJson(b).hash);
}

TEST(GroupingTest, RecursionDepthDoesNotSplitGroups) {
  auto event = [](int depth) {
    std::string frames = R"({"module": "m", "function": "main", "in_app": true})";
    for (int i = 0; i < depth; ++i)
      frames += R"(,{"module": "m", "function": "walk", "in_app": true})";
    return R"({"exception": {"values": [{"type": "RecursionError", "stacktrace": {"frames": [)" +
           frames + "]}}]}}";
  };
  EXPECT_EQ(GroupJson(event(3)).hash, GroupJson(event(900)).hash);
}

TEST(GroupingTest, FingerprintOverridesDefault) {
  Grouping a = GroupJson(Edited("python_error.json", [](json::object& e) {
    e["fingerprint"] = json::array{"orders-broken"};
  }));
  Grouping b = GroupJson(Edited(
      "node_error.json", [](json::object& e) { e["fingerprint"] = json::array{"orders-broken"}; }));
  EXPECT_EQ(a.method, "fingerprint");
  EXPECT_EQ(a.components, std::vector<std::string>{"fingerprint:orders-broken"});
  EXPECT_EQ(a.hash, b.hash);
}

TEST(GroupingTest, DefaultVariableAloneIsTheDefaultGrouping) {
  Grouping plain = GroupJson(ReadTestdata("python_error.json"));
  for (const char* spelling : {"{{ default }}", "{{default}}", "{{ DEFAULT }}"}) {
    Grouping g = GroupJson(Edited(
        "python_error.json", [&](json::object& e) { e["fingerprint"] = json::array{spelling}; }));
    EXPECT_EQ(g.hash, plain.hash) << spelling;
    EXPECT_EQ(g.method, "stacktrace") << spelling;
  }
}

TEST(GroupingTest, DefaultVariableExpandsAmongOtherParts) {
  NormalizedEvent ev = MustNormalize(ReadTestdata("cli_event.json"));
  Grouping g = ComputeGrouping(ev);
  EXPECT_EQ(g.method, "fingerprint");
  EXPECT_EQ(g.components,
            (std::vector<std::string>{"fingerprint:nightly-backup",
                                      "message:Backup of %s failed after %s attempts"}));
  EXPECT_NE(g.hash, ComputeDefaultGrouping(ev).hash);
}

TEST(GroupingTest, OtherFingerprintVariables) {
  Grouping g = GroupJson(R"({"transaction": "/checkout", "level": "warning",
      "exception": {"values": [{"type": "Timeout", "value": "after 30s"}]},
      "fingerprint": ["{{ transaction }}", "{{ error.type }}", "{{ level }}"]})");
  EXPECT_EQ(g.components,
            (std::vector<std::string>{"transaction:/checkout", "type:Timeout", "level:warning"}));
}

TEST(GroupingTest, MessageEventsGroupByTemplateNotParams) {
  Grouping a = GroupJson(ReadTestdata("message_event.json"));
  Grouping b = GroupJson(Edited("message_event.json", [](json::object& e) {
    e["logentry"] = json::object{{"message", "Payment for order %s retried %d times"},
                                 {"params", json::array{"o_1", 9}},
                                 {"formatted", "Payment for order o_1 retried 9 times"}};
  }));
  Grouping c = GroupJson(Edited("message_event.json", [](json::object& e) {
    e["logentry"] = json::object{{"message", "Refund for order %s failed"}};
  }));
  EXPECT_EQ(a.method, "message");
  EXPECT_EQ(a.components,
            std::vector<std::string>{"message:Payment for order %s retried %d times"});
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, c.hash);
}

TEST(GroupingTest, PlainMessagesAreParameterized) {
  Grouping a =
      GroupJson(R"({"message": "Timeout after 3000ms talking to 10.0.0.12 for job 7f3a9c0e12ab"})");
  Grouping b =
      GroupJson(R"({"message": "Timeout after 5000ms talking to 10.0.0.99 for job 0b1c2d3e4f5a"})");
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.components, std::vector<std::string>{
                              "message:Timeout after <int>ms talking to <ip> for job <hash>"});
}

TEST(GroupingTest, ExceptionWithoutStackUsesTypeAndParameterizedValue) {
  Grouping a = GroupJson(
      R"({"exception": {"values": [{"type": "HTTPError", "value": "503 for /items/12"}]}})");
  Grouping b = GroupJson(
      R"({"exception": {"values": [{"type": "HTTPError", "value": "503 for /items/99"}]}})");
  Grouping c = GroupJson(
      R"({"exception": {"values": [{"type": "URLError", "value": "503 for /items/12"}]}})");
  EXPECT_EQ(a.method, "exception");
  EXPECT_EQ(a.components,
            (std::vector<std::string>{"type:HTTPError", "value:<int> for /items/<int>"}));
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, c.hash);
}

TEST(GroupingTest, EmptyEventFallsBack) {
  Grouping g = GroupJson("{}");
  EXPECT_EQ(g.method, "fallback");
  EXPECT_EQ(g.hash, GroupJson(R"({"level": "info"})").hash);
}

TEST(GroupingTest, BrowserBundleHashesAndQueryStringsDoNotSplitGroups) {
  Grouping a = GroupJson(ReadTestdata("browser_error.json"));
  Grouping b = GroupJson(Edited("browser_error.json", [](json::object& e) {
    for (auto& f : Frames(e, 0)) {
      auto& frame = f.as_object();
      std::string name(frame["filename"].as_string());
      name.replace(name.find("https://shop.example.com"), 24, "https://staging.example.com:8443");
      if (size_t h = name.find("4f3a2b1c"); h != std::string::npos) name.replace(h, 8, "9e8d7c6b");
      if (size_t q = name.find("?v="); q != std::string::npos) name.replace(q, 11, "?v=20240401");
      frame["filename"] = name;
      frame["colno"] = 1;
    }
    e["exception"].as_object()["values"].as_array()[0].as_object()["value"] =
        "Checkout failed for cart 9: payment provider timeout after 15000ms";
  }));
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.components[1], "frame:assets/vendor-<hash>.js HTMLButtonElement.r");
  EXPECT_EQ(a.components[3], "frame:assets/index-<hash>.js submitPayment");
}

TEST(GroupingTest, NodeDeployDirectoriesDoNotSplitGroupsWithoutModules) {
  auto event = [](const std::string& root) {
    return R"({"platform": "node", "exception": {"values": [{"type": "Error", "stacktrace":
        {"frames": [{"filename": ")" +
           root + R"(/node_modules/pg/lib/client.js", "function": "query", "in_app": false},
                    {"filename": ")" +
           root + R"(/src/db.js", "function": "save", "in_app": true}]}}]}})";
  };
  Grouping a = GroupJson(event("/srv/releases/41"));
  EXPECT_EQ(a.hash, GroupJson(event("/opt/app-v42/build")).hash);
  EXPECT_EQ(a.components.back(), "frame:src/db.js save");
}

TEST(GroupingTest, NativeFramesIgnoreAddressesAndUnsymbolicatedFrames) {
  Grouping a = GroupJson(ReadTestdata("native_crash.json"));
  EXPECT_EQ(a.method, "stacktrace");
  EXPECT_EQ(a.components, (std::vector<std::string>{"type:EXC_BAD_ACCESS", "frame:Notes main",
                                                    "frame:Notes -[NoteEditor saveNote:]"}));
  Grouping b = GroupJson(Edited("native_crash.json", [](json::object& e) {
    auto& threads = e["threads"].as_object()["values"].as_array();
    for (auto& f : threads[1].as_object()["stacktrace"].as_object()["frames"].as_array()) {
      f.as_object()["instruction_addr"] = "0x1";
      std::string package(f.as_object()["package"].as_string());
      if (size_t p = package.find("6A1B2C3D"); p != std::string::npos)
        package.replace(p, 8, "FFFFFFFF");
      f.as_object()["package"] = package;
    }
  }));
  EXPECT_EQ(a.hash, b.hash);
}

TEST(GroupingTest, DartAsyncGapsAndFrameworkFramesDoNotCount) {
  Grouping g = GroupJson(ReadTestdata("flutter_error.json"));
  EXPECT_EQ(g.components,
            (std::vector<std::string>{
                "type:StateError",
                "frame:package:todo_app/screens/home_screen.dart "
                "_HomeScreenState._loadTodos.<anonymous closure>",
                "frame:package:todo_app/data/todo_repository.dart TodoRepository.byId"}));
}

TEST(GroupingTest, JavaSyntheticLambdaNumbersDoNotSplitGroups) {
  auto event = [](const std::string& lambda) {
    return R"({"platform": "java", "exception": {"values": [{"type": "java.lang.IllegalStateException",
        "stacktrace": {"frames": [{"module": "com.example.Sync)" +
           lambda + R"(", "function": "run", "in_app": true},
        {"module": "com.example.Sync", "function": "lambda$start$0", "in_app": true}]}}]}})";
  };
  EXPECT_EQ(GroupJson(event("$$Lambda$12/0x0000000800c0b440")).hash,
            GroupJson(event("$$Lambda$97/0x0000000801a00000")).hash);
}

TEST(ParameterizeTest, ReplacesVolatileTokens) {
  EXPECT_EQ(ParameterizeMessage("id 550e8400-e29b-41d4-a716-446655440000 at 0xdeadBEEF"),
            "id <uuid> at <hex>");
  EXPECT_EQ(ParameterizeMessage("took 1.25s on 2024-03-11T10:15:30.5Z"), "took <float>s on <date>");
  EXPECT_EQ(ParameterizeMessage("user42 hit v2 route -3"), "user42 hit v2 route -<int>");
  EXPECT_EQ(ParameterizeMessage("deadbeef cafe1234abcd"), "deadbeef <hash>");
  EXPECT_EQ(ParameterizeMessage(""), "");
}

}  // namespace
}  // namespace ferry::event
