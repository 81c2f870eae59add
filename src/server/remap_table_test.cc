#include "server/remap_table.h"

#include <gtest/gtest.h>

namespace ferry::server {
namespace {

protocol::Dsn Dsn(const std::string& text) {
  auto dsn = protocol::ParseDsn(text);
  EXPECT_TRUE(dsn.ok()) << text;
  return *dsn;
}

TEST(RemapTableTest, FindsExactStringOnly) {
  auto table = RemapTable::Build(
      {{"https://old@sentry.example.com/4", {"https://new@sentry.example.com/2"}}});
  ASSERT_TRUE(table.ok());
  const auto* targets = table->Find("https://old@sentry.example.com/4");
  ASSERT_NE(targets, nullptr);
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].dsn.public_key, "new");
  EXPECT_EQ((*targets)[0].dsn.project_id, "2");
  EXPECT_EQ(table->Find("https://old@sentry.example.com/4/"), nullptr);
  EXPECT_EQ(table->Find("https://OLD@sentry.example.com/4"), nullptr);
}

TEST(RemapTableTest, ListValueFansOut) {
  auto table = RemapTable::Build(
      {{"https://old@a.example/1", {"https://k1@a.example/2", "https://k2@b.example/3"}}});
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->Find("https://old@a.example/1")->size(), 2u);
}

TEST(RemapTableTest, InvalidTargetIsAnErrorNamingTheEntry) {
  auto table = RemapTable::Build({{"https://old@a.example/1", {"not a dsn"}}});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().detail().find("https://old@a.example/1"), std::string::npos);
}

TEST(AllowlistTest, HostWithoutPortMatchesDefaultPortOnly) {
  Allowlist allow({"allowed.host"}, {}, "127.0.0.1", 9000);
  EXPECT_TRUE(allow.AllowsHost(Dsn("https://k@allowed.host/1")));
  EXPECT_TRUE(allow.AllowsHost(Dsn("https://k@allowed.host:443/1")));
  EXPECT_TRUE(allow.AllowsHost(Dsn("https://k@ALLOWED.host/1")));
  EXPECT_FALSE(allow.AllowsHost(Dsn("https://k@allowed.host:8443/1")));
  EXPECT_FALSE(allow.AllowsHost(Dsn("https://k@allowed.host.evil.example/1")));
  EXPECT_FALSE(allow.AllowsHost(Dsn("https://k@evil.example/allowed.host/1")));
  EXPECT_FALSE(allow.AllowsHost(Dsn("http://k@127.0.0.1/1")));
}

TEST(AllowlistTest, HostPortEntryMatchesThatPort) {
  Allowlist allow({"allowed.host:8443"}, {}, "127.0.0.1", 9000);
  EXPECT_TRUE(allow.AllowsHost(Dsn("https://k@allowed.host:8443/1")));
  EXPECT_FALSE(allow.AllowsHost(Dsn("https://k@allowed.host/1")));
}

TEST(AllowlistTest, OwnPublicHostIsAlwaysAllowed) {
  Allowlist allow({}, {}, "127.0.0.1", 9000);
  EXPECT_TRUE(allow.IsOwn(Dsn("http://k@127.0.0.1:9000/1")));
  EXPECT_TRUE(allow.AllowsHost(Dsn("http://k@127.0.0.1:9000/1")));
  EXPECT_FALSE(allow.AllowsHost(Dsn("http://k@127.0.0.1:9001/1")));
}

TEST(AllowlistTest, ProjectsRestrictWhenListed) {
  Allowlist allow({"a.example", "b.example:8080"}, {"a.example/2", "b.example:8080/7"}, "x", 1);
  EXPECT_TRUE(allow.AllowsProject(Dsn("https://k@a.example/2")));
  EXPECT_FALSE(allow.AllowsProject(Dsn("https://k@a.example/3")));
  EXPECT_TRUE(allow.AllowsProject(Dsn("http://k@b.example:8080/7")));
  EXPECT_FALSE(allow.AllowsProject(Dsn("http://k@b.example/7")));
}

}  // namespace
}  // namespace ferry::server
