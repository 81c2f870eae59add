#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store/credentials.h"
#include "store/testing/test_util.h"

namespace ferry::store::sqlite {
namespace {

using testing::MakeEvent;
using testing::TempDir;

TEST(SqliteStoreTest, CreatesParentDirectoriesAndStartsEmpty) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("a/b/ferry.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.File("a/b/ferry.db")));
  auto empty = store->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
}

TEST(SqliteStoreTest, CreatesProjectWithSlugAndOneEnabledKey) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  auto p = store->CreateProject("  My App (Prod) ", "python");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_GT(p->id, 0);
  EXPECT_EQ(p->slug, "my-app-prod");
  EXPECT_EQ(p->name, "My App (Prod)");
  EXPECT_EQ(p->platform, "python");
  ASSERT_EQ(p->keys.size(), 1u);
  EXPECT_EQ(p->keys[0].public_key.size(), 32u);
  EXPECT_TRUE(p->keys[0].enabled);

  auto key = store->FindKey(p->keys[0].public_key);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(key->has_value());
  EXPECT_EQ((*key)->project_id, p->id);
  auto missing = store->FindKey("00000000000000000000000000000000");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto by_slug = store->FindProjectBySlug("my-app-prod");
  ASSERT_TRUE(by_slug.ok() && by_slug->has_value());
  EXPECT_EQ((*by_slug)->id, p->id);
  ASSERT_EQ((*by_slug)->keys.size(), 1u);
  auto by_id = store->FindProject(p->id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->slug, "my-app-prod");
  auto none = store->FindProject(p->id + 100);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(*store->IsEmpty());
}

TEST(SqliteStoreTest, DisablesAndEnablesKeys) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  auto p = store->CreateProject("web", "");
  ASSERT_TRUE(p.ok());
  const std::string key = p->keys[0].public_key;
  ASSERT_TRUE(store->SetKeyEnabled(key, false).ok());
  EXPECT_FALSE((*store->FindKey(key))->enabled);
  EXPECT_FALSE((*store->ListProjects())[0].keys[0].enabled);
  ASSERT_TRUE(store->SetKeyEnabled(key, true).ok());
  EXPECT_TRUE((*store->FindKey(key))->enabled);
  EXPECT_EQ(store->SetKeyEnabled("00000000000000000000000000000000", false).code(),
            base::Code::kNotFound);
}

TEST(SqliteStoreTest, RefusesDuplicateAndEmptyProjectNames) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  ASSERT_TRUE(store->CreateProject("web", "").ok());
  auto dup = store->CreateProject("Web", "");
  EXPECT_EQ(dup.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(dup.status().detail(), "project \"web\" exists");
  EXPECT_EQ(store->CreateProject(" -- ", "").status().code(), base::Code::kInvalidArgument);
  auto list = store->ListProjects();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().keys.size(), 1u);
}

TEST(SqliteStoreTest, ListsProjectsInIdOrder) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  ASSERT_TRUE(store->CreateProject("b", "node").ok());
  ASSERT_TRUE(store->CreateProject("a", "dart").ok());
  auto list = store->ListProjects();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].slug, "b");
  EXPECT_EQ((*list)[1].slug, "a");
  EXPECT_LT((*list)[0].id, (*list)[1].id);
}

TEST(SqliteStoreTest, UsersAreLowerCasedUniqueAndFoundByToken) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  auto hash = HashPassword("secret");
  ASSERT_TRUE(hash.ok());
  auto user = store->CreateUser(" Admin@Example.COM", *hash, true);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->email, "admin@example.com");
  EXPECT_TRUE(user->superuser);
  EXPECT_EQ(store->CreateUser("admin@example.com", "", false).status().code(),
            base::Code::kInvalidArgument);
  EXPECT_EQ(store->CreateUser("not-an-email", "", false).status().code(),
            base::Code::kInvalidArgument);

  auto found = store->FindUserByEmail("ADMIN@example.com");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, user->id);
  EXPECT_TRUE(VerifyPassword("secret", (*found)->password_hash));

  std::string token = NewToken();
  ASSERT_TRUE(store->AddToken(user->id, TokenSha256(token)).ok());
  auto by_token = store->FindUserByToken(TokenSha256(token));
  ASSERT_TRUE(by_token.ok() && by_token->has_value());
  EXPECT_EQ((*by_token)->email, "admin@example.com");
  auto wrong = store->FindUserByToken(TokenSha256("other"));
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->has_value());
  EXPECT_EQ(store->AddToken(user->id + 9, TokenSha256("x")).code(), base::Code::kNotFound);

  ASSERT_TRUE(store->CreateUser("dev@example.com", "", false).ok());
  auto users = store->ListUsers();
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].email, "admin@example.com");
  EXPECT_EQ((*users)[1].email, "dev@example.com");
}

TEST(SqliteStoreTest, WipeEmptiesTheStoreAndIdsAreNotReused) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  auto p = store->CreateProject("web", "");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(store->CreateUser("a@b.c", "", false).ok());
  ASSERT_TRUE(store->SaveEvents({MakeEvent(p->id, 1, "h", 1000)}).ok());
  ASSERT_TRUE(store->Wipe().ok());
  EXPECT_TRUE(*store->IsEmpty());
  auto again = store->CreateProject("web", "");
  ASSERT_TRUE(again.ok());
  EXPECT_GT(again->id, p->id);
}

TEST(SqliteStoreTest, TwoOpenStoresOnOneFileSeeEachOthersWrites) {
  TempDir dir;
  auto server = testing::OpenOrDie(dir.File("ferry.db"));
  auto cli = testing::OpenOrDie(dir.File("ferry.db"));
  ASSERT_TRUE(cli->CreateProject("web", "").ok());
  auto found = server->FindProjectBySlug("web");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->has_value());
}

TEST(SqliteStoreTest, ConcurrentReadersAndWriterDoNotFail) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.File("ferry.db"));
  auto p = store->CreateProject("web", "");
  ASSERT_TRUE(p.ok());
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  constexpr int kReaders = 6;
  std::vector<std::thread> readers;
  readers.reserve(kReaders);
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        IssueQuery q;
        q.project_id = p->id;
        if (!store->ListIssues(q).ok()) ++read_errors;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store->SaveEvents({MakeEvent(p->id, i, "h" + std::to_string(i % 5), i)}).ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(read_errors.load(), 0);
}

}  // namespace
}  // namespace ferry::store::sqlite
