// Crashes at random points with unsynced writes dropped, and a full disk, through FaultVfs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>

#include "spool/fault_vfs.h"
#include "spool/spool_test_util.h"
#include "spool/sqlite_spool.h"

namespace ferry::spool {
namespace {

using testing::FaultVfs;
using testing::Ids;
using testing::Rec;

const char* kQueues[] = {"a", "b"};

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr);
    result = "no row";
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return result;
}

// Every entry of every queue, by body; fails the test on a duplicate.
std::map<std::string, int64_t> ReadAll(Spool* spool) {
  std::map<std::string, int64_t> out;  // body → size
  for (const char* q : kQueues) {
    auto got = spool->Take(q, 1'000'000);
    EXPECT_TRUE(got.ok());
    if (!got.ok()) continue;
    for (const auto& e : *got) {
      EXPECT_TRUE(out.emplace(e.record.body, e.record.meta.size() + e.record.body.size()).second)
          << "duplicate entry";
    }
    spool->Release(Ids(*got));
  }
  return out;
}

// What the test knows about each body it pushed.
struct Model {
  std::set<std::string> must;   // Push returned OK and no Ack did: must be present
  std::set<std::string> may;    // a failed Push or Ack: present or not
  std::set<std::string> never;  // Ack returned OK, or lost for good: must never reappear
};

TEST(FaultInjectionTest, CrashesLoseNothingAcknowledged) {
  FaultVfs& vfs = FaultVfs::Get();
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto rand = [&](int n) { return static_cast<int>(rng() % n); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int iterations = 0;
  int seq = 0;
  int crashes = 0;
  while (std::chrono::steady_clock::now() < deadline && !HasFailure()) {
    ++iterations;
    testing::TempDir dir;
    const std::string path = dir.File("spool.db");
    vfs.Reset();
    SpoolOptions options;
    options.vfs = FaultVfs::kName;
    options.wal_autocheckpoint_pages = 2 + rand(30);  // checkpoints rewrite the main file
    Model model;
    for (int round = 0; round < 4 && !HasFailure(); ++round) {
      auto opened = OpenSqliteSpool(path, options);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      std::unique_ptr<SqliteSpool> spool = std::move(opened).value();

      // Recovery: nothing acknowledged lost, nothing acked back, totals match the content.
      auto present = ReadAll(spool.get());
      int64_t bytes = 0;
      for (const auto& [body, size] : present) {
        bytes += size;
        EXPECT_TRUE(model.must.count(body) || model.may.count(body)) << body << " reappeared";
      }
      for (const auto& body : model.must) EXPECT_TRUE(present.count(body)) << body << " lost";
      auto stats = spool->Stats();
      ASSERT_TRUE(stats.ok());
      EXPECT_EQ(stats->entries, static_cast<int64_t>(present.size()));
      EXPECT_EQ(stats->bytes, bytes);
      for (const auto& body : model.may) {
        (present.count(body) ? model.must : model.never).insert(body);
      }
      model.may.clear();

      // A clean close checkpoints; the file must then be sound.
      spool.reset();
      ASSERT_EQ(IntegrityCheck(path), "ok");
      spool = std::move(OpenSqliteSpool(path, options)).value();

      // Random work, with the "process" dying after a random number of file operations.
      vfs.CrashAfter(1 + rand(150));
      for (int op = 0; op < 40; ++op) {
        int r = rand(10);
        if (r < 6) {
          std::vector<SpoolRecord> records;
          for (int i = 0, n = 1 + rand(3); i < n; ++i) {
            std::string body = std::to_string(++seq) + ":" + std::string(rand(3000), 'x');
            records.push_back(Rec(kQueues[rand(2)], body));
          }
          bool ok = spool->Push(records).ok();
          for (const auto& rec : records) (ok ? model.must : model.may).insert(rec.body);
        } else {
          auto got = spool->Take(kQueues[rand(2)], 1 + rand(5));
          if (!got.ok() || got->empty()) continue;
          std::vector<SpoolEntry> acked(got->begin(), got->begin() + (got->size() + 1) / 2);
          bool ok = spool->Ack(Ids(acked)).ok();
          for (const auto& e : acked) {
            model.must.erase(e.record.body);
            (ok ? model.never : model.may).insert(e.record.body);
          }
          if (r == 9) spool->Release(Ids(*got));
        }
      }
      ++crashes;
      vfs.Crash();
      spool.reset();  // its last writes fail: the process is dead
      ASSERT_TRUE(vfs.DropUnsyncedData(rand(2) ? &rng : nullptr));
    }
  }
  std::printf("[ fault ] %d databases, %d crashes, %d records pushed\n", iterations, crashes, seq);
  EXPECT_GT(iterations, 0);
}

TEST(FaultInjectionTest, FullDiskFailsCleanlyAndRecovers) {
  FaultVfs& vfs = FaultVfs::Get();
  vfs.Reset();
  testing::TempDir dir;
  const std::string path = dir.File("spool.db");
  SpoolOptions options;
  options.vfs = FaultVfs::kName;
  auto spool = std::move(OpenSqliteSpool(path, options)).value();
  std::set<std::string> pushed;
  for (int i = 0; i < 10; ++i) {
    std::string body = "before" + std::to_string(i);
    ASSERT_TRUE(spool->Push({Rec("a", body)}).ok());
    pushed.insert(body);
  }

  vfs.SetWriteBudget(6000);  // about one more WAL frame
  base::Status st;
  for (int i = 0; i < 20 && st.ok(); ++i) {
    std::string body = "while" + std::to_string(i) + std::string(3000, 'x');
    st = spool->Push({Rec("a", body)});
    if (st.ok()) pushed.insert(body);
  }
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), base::Code::kUnavailable);
  EXPECT_THAT(st.detail(), ::testing::StartsWith("disk full"));
  // All or nothing: a fanned-out push leaves no copy behind.
  st = spool->Push({Rec("a", "fan1"), Rec("b", "fan2" + std::string(9000, 'y'))});
  EXPECT_FALSE(st.ok());
  auto stats = spool->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entries, static_cast<int64_t>(pushed.size()));
  auto present = ReadAll(spool.get());
  EXPECT_EQ(present.size(), pushed.size());
  for (const auto& body : pushed) EXPECT_TRUE(present.count(body));

  vfs.SetWriteBudget(-1);  // space returns
  ASSERT_TRUE(spool->Push({Rec("a", "after"), Rec("b", "after-b")}).ok());
  pushed.insert("after");
  pushed.insert("after-b");
  spool.reset();
  EXPECT_EQ(IntegrityCheck(path), "ok");
  spool = std::move(OpenSqliteSpool(path, options)).value();
  present = ReadAll(spool.get());
  EXPECT_EQ(present.size(), pushed.size());
  for (const auto& body : pushed) EXPECT_TRUE(present.count(body)) << body;
}

}  // namespace
}  // namespace ferry::spool
