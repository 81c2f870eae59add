// SqliteSpool beyond the shared contract: restarts, kill -9, locking, schema, speed.
#include "spool/sqlite_spool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "spool/spool_test_util.h"

namespace ferry::spool {
namespace {

using testing::Bodies;
using ::testing::ElementsAre;
using testing::Ids;
using testing::Rec;

std::unique_ptr<SqliteSpool> OpenOrDie(const std::string& path, SpoolOptions options = {}) {
  auto spool = OpenSqliteSpool(path, std::move(options));
  EXPECT_TRUE(spool.ok()) << spool.status().ToString();
  return spool.ok() ? std::move(spool).value() : nullptr;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST(SqliteSpoolTest, ReopenMakesEveryUnackedEntryAvailableAgain) {
  testing::TempDir dir;
  const std::string path = dir.File("spool.db");
  uint64_t last_id = 0;
  {
    auto spool = OpenOrDie(path);
    ASSERT_TRUE(spool->Push({Rec("a", "1"), Rec("a", "2"), Rec("b", "3")}).ok());
    ASSERT_TRUE(spool->Push({Rec("a", "4")}).ok());
    auto got = *spool->Take("a", 3);  // 1, 2, 4 taken; 1 acked
    ASSERT_TRUE(spool->Ack({got[0].id}).ok());
    last_id = got.back().id;
  }
  auto spool = OpenOrDie(path);
  auto stats = spool->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entries, 3);
  EXPECT_EQ(stats->bytes, 3 * 2);
  EXPECT_EQ(stats->queues["a"].entries, 2);
  EXPECT_THAT(Bodies(*spool->Take("a", 10)), ElementsAre("2", "4"));
  EXPECT_THAT(Bodies(*spool->Take("b", 10)), ElementsAre("3"));
  // Ids are never reused, even once the spool is empty again.
  ASSERT_TRUE(spool->Ack({2, 3, 4}).ok());
  EXPECT_EQ(spool->Stats()->entries, 0);
  ASSERT_TRUE(spool->Push({Rec("a", "5")}).ok());
  spool.reset();
  spool = OpenOrDie(path);
  auto got = *spool->Take("a", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_GT(got[0].id, last_id);
}

TEST(SqliteSpoolTest, SecondOpenOfTheSameFileIsRefused) {
  testing::TempDir dir;
  auto first = OpenOrDie(dir.File("spool.db"));
  SpoolOptions options;
  options.busy_timeout_ms = 50;
  auto second = OpenSqliteSpool(dir.File("spool.db"), options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), base::Code::kUnavailable);
}

TEST(SqliteSpoolTest, NewerSchemaIsRefused) {
  testing::TempDir dir;
  OpenOrDie(dir.File("spool.db")).reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("spool.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto spool = OpenSqliteSpool(dir.File("spool.db"));
  ASSERT_FALSE(spool.ok());
  EXPECT_THAT(spool.status().detail(), ::testing::HasSubstr("newer"));
}

TEST(SqliteSpoolTest, PushedEntriesSurviveSigkill) {
  testing::TempDir dir;
  const std::string path = dir.File("spool.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto spool = OpenSqliteSpool(path);
    if (!spool.ok()) _exit(2);
    for (int i = 0;; ++i) {
      if (!(*spool)->Push({Rec("q", std::to_string(i))}).ok()) _exit(3);
      if (write(fds[1], &i, sizeof(i)) != sizeof(i)) _exit(4);  // "answered 200"
    }
  }
  close(fds[1]);
  int last = -1;
  int n;
  while (last < 30 && read(fds[0], &n, sizeof(n)) == sizeof(n)) last = n;
  kill(pid, SIGKILL);  // right after a Push returned, maybe in the middle of the next one
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

  auto spool = OpenOrDie(path);
  auto got = *spool->Take("q", 100000);
  ASSERT_GE(static_cast<int>(got.size()), last + 1);
  for (int i = 0; i <= last; ++i) EXPECT_EQ(got[i].record.body, std::to_string(i));
}

TEST(SqliteSpoolTest, TakeStaysFastWithALongQueue) {
  testing::TempDir dir;
  auto spool = OpenOrDie(dir.File("spool.db"));
  constexpr int kEntries = 100'000;
  std::vector<SpoolRecord> batch;
  for (int i = 0; i < kEntries; ++i) {
    batch.push_back(Rec("q", std::string(100, 'x') + std::to_string(i)));
    if (batch.size() == 1000) {
      ASSERT_TRUE(spool->Push(batch).ok());
      batch.clear();
    }
  }
  // A drainer that holds 1,000 in flight and releases one batch in ten: the scan never walks
  // the taken prefix again.
  double take_secs = 0;
  int takes = 0;
  size_t seen = 0;
  std::vector<std::vector<uint64_t>> in_flight;
  while (seen < kEntries) {
    auto start = std::chrono::steady_clock::now();
    auto got = spool->Take("q", 100);
    take_secs += Seconds(start);
    ASSERT_TRUE(got.ok());
    ++takes;
    seen += got->size();
    if (got->empty()) break;
    in_flight.push_back(Ids(*got));
    if (in_flight.size() == 10) {
      spool->Release(in_flight.front());
      seen -= in_flight.front().size();
      in_flight.erase(in_flight.begin());
      ASSERT_TRUE(spool->Ack(in_flight.front()).ok());
      in_flight.erase(in_flight.begin());
    }
  }
  std::printf("[ perf ] %d takes of 100 from a 100k queue: %.0f takes/s\n", takes,
              takes / take_secs);
  EXPECT_LT(take_secs, 10.0);
}

TEST(SqliteSpoolTest, Throughput) {
  testing::TempDir dir;
  auto spool = OpenOrDie(dir.File("spool.db"));
  const std::string body(1000, 'e');
  std::atomic<int> pushes{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  threads.reserve(2);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < deadline) {
        ASSERT_TRUE(spool->Push({Rec("q", body)}).ok());
        ++pushes;
      }
    });
  }
  for (auto& t : threads) t.join();
  double push_secs = Seconds(start);

  start = std::chrono::steady_clock::now();
  int acked = 0;
  for (;;) {
    auto got = spool->Take("q", 100);
    ASSERT_TRUE(got.ok());
    if (got->empty()) break;
    ASSERT_TRUE(spool->Ack(Ids(*got)).ok());
    acked += static_cast<int>(got->size());
  }
  double ack_secs = Seconds(start);
  std::printf("[ perf ] single-record pushes, 2 threads: %.0f pushes/s (%d)\n", pushes / push_secs,
              pushes.load());
  std::printf("[ perf ] take+ack in batches of 100: %.0f acks/s (%d)\n", acked / ack_secs, acked);
  EXPECT_EQ(acked, pushes.load());
}

}  // namespace
}  // namespace ferry::spool
