// The Spool contract, run against both implementations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "spool/memory_spool.h"
#include "spool/spool_test_util.h"
#include "spool/sqlite_spool.h"

namespace ferry::spool {
namespace {

using testing::Bodies;
using ::testing::ElementsAre;
using testing::FakeClock;
using testing::Ids;
using testing::Rec;

struct MemoryImpl {
  static std::unique_ptr<Spool> Open(const testing::TempDir&, int64_t max_bytes,
                                     const base::Clock* clock) {
    return std::make_unique<MemorySpool>(max_bytes, clock);
  }
};

struct SqliteImpl {
  static std::unique_ptr<Spool> Open(const testing::TempDir& dir, int64_t max_bytes,
                                     const base::Clock* clock) {
    SpoolOptions options;
    options.max_bytes = max_bytes;
    options.clock = clock;
    auto spool = OpenSqliteSpool(dir.File("spool.db"), options);
    EXPECT_TRUE(spool.ok()) << spool.status().ToString();
    return spool.ok() ? std::move(spool).value() : nullptr;
  }
};

template <typename Impl>
class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { spool_ = Impl::Open(dir_, 1 << 20, &clock_); }

  std::vector<SpoolEntry> Take(const std::string& queue, size_t max) {
    auto r = spool_->Take(queue, max);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : std::vector<SpoolEntry>();
  }
  void Push(const std::vector<SpoolRecord>& records) {
    base::Status st = spool_->Push(records);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  testing::TempDir dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<Spool> spool_;
};

using Impls = ::testing::Types<MemoryImpl, SqliteImpl>;
class ImplNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryImpl> ? "Memory" : "Sqlite";
  }
};
TYPED_TEST_SUITE(SpoolTest, Impls, ImplNames);

TYPED_TEST(SpoolTest, KeepsFifoOrderPerQueue) {
  this->Push({Rec("a", "1")});
  this->Push({Rec("a", "2"), Rec("a", "3")});
  this->Push({Rec("a", "4")});
  auto got = this->Take("a", 10);
  EXPECT_THAT(Bodies(got), ElementsAre("1", "2", "3", "4"));
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].id, got[i].id);
  EXPECT_EQ(got[0].enqueued_ms, 1'700'000'000'000);
  EXPECT_EQ(got[0].record.meta, "m");
  EXPECT_EQ(got[0].record.queue, "a");
}

TYPED_TEST(SpoolTest, QueuesAreIndependent) {
  this->Push({Rec("a", "a1"), Rec("b", "b1")});
  this->Push({Rec("b", "b2"), Rec("a", "a2")});
  EXPECT_THAT(Bodies(this->Take("b", 10)), ElementsAre("b1", "b2"));
  EXPECT_THAT(Bodies(this->Take("a", 1)), ElementsAre("a1"));
  EXPECT_THAT(Bodies(this->Take("a", 1)), ElementsAre("a2"));
  EXPECT_TRUE(this->Take("c", 10).empty());
}

TYPED_TEST(SpoolTest, TakeSkipsTakenEntries) {
  for (int i = 0; i < 5; ++i) this->Push({Rec("q", std::to_string(i))});
  EXPECT_THAT(Bodies(this->Take("q", 2)), ElementsAre("0", "1"));
  EXPECT_THAT(Bodies(this->Take("q", 2)), ElementsAre("2", "3"));
  EXPECT_THAT(Bodies(this->Take("q", 2)), ElementsAre("4"));
  EXPECT_TRUE(this->Take("q", 2).empty());
  EXPECT_TRUE(this->Take("q", 0).empty());
}

TYPED_TEST(SpoolTest, ReleaseKeepsOrder) {
  for (int i = 0; i < 5; ++i) this->Push({Rec("q", std::to_string(i))});
  auto first = this->Take("q", 2);
  auto second = this->Take("q", 2);
  this->spool_->Release(Ids(second));
  this->spool_->Release({Ids(first)[0]});
  this->spool_->Release({999999});  // unknown ids are ignored
  EXPECT_THAT(Bodies(this->Take("q", 10)), ElementsAre("0", "2", "3", "4"));
}

TYPED_TEST(SpoolTest, AckRemovesForGood) {
  this->Push({Rec("q", "1"), Rec("q", "2"), Rec("q", "3")});
  auto got = this->Take("q", 2);
  ASSERT_TRUE(this->spool_->Ack({got[0].id, 424242}).ok());  // unknown ids are ignored
  this->spool_->Release({got[1].id});
  EXPECT_THAT(Bodies(this->Take("q", 10)), ElementsAre("2", "3"));
  auto stats = this->spool_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entries, 2);
  ASSERT_TRUE(this->spool_->Ack({}).ok());
}

TYPED_TEST(SpoolTest, FullSpoolRefusesAndWritesNothing) {
  this->spool_.reset();  // the file is locked while open
  this->spool_ = TypeParam::Open(this->dir_, 10, &this->clock_);
  this->Push({Rec("q", "1234", "m")});  // 5 bytes
  EXPECT_FALSE(this->spool_->WouldOverflow(5));
  EXPECT_TRUE(this->spool_->WouldOverflow(6));
  base::Status st = this->spool_->Push({Rec("q", "ab", "m"), Rec("r", "abc", "m")});  // 3 + 4
  EXPECT_EQ(st.code(), base::Code::kUnavailable);
  EXPECT_EQ(st.detail(), "spool is full");
  EXPECT_THAT(Bodies(this->Take("q", 10)), ElementsAre("1234"));
  EXPECT_TRUE(this->Take("r", 10).empty());
  auto stats = this->spool_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->bytes, 5);
  this->Push({Rec("q", "abcd", "m")});  // exactly max_bytes fits
}

TYPED_TEST(SpoolTest, DropOlderThanRemovesExpiredEntries) {
  this->Push({Rec("a", "old-a"), Rec("b", "old-b")});
  this->clock_.SetMs(1'700'000'001'000);
  this->Push({Rec("a", "new-a")});
  auto taken = this->Take("b", 10);  // a taken entry expires too
  auto dropped = this->spool_->DropOlderThan(1'700'000'001'000);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, (std::map<std::string, int64_t>{{"a", 1}, {"b", 1}}));
  EXPECT_THAT(Bodies(this->Take("a", 10)), ElementsAre("new-a"));
  auto stats = this->spool_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entries, 1);
  EXPECT_EQ(stats->oldest_ms, 1'700'000'001'000);
  EXPECT_EQ(stats->queues.count("b"), 0u);
  EXPECT_TRUE(this->spool_->DropOlderThan(0)->empty());
}

TYPED_TEST(SpoolTest, EnqueuedTimeNeverGoesBackwards) {
  this->Push({Rec("a", "1")});
  this->clock_.SetMs(1'600'000'000'000);  // the wall clock steps back
  this->Push({Rec("a", "2")});
  auto got = this->Take("a", 10);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].enqueued_ms, got[0].enqueued_ms);
}

TYPED_TEST(SpoolTest, StatsTotalsAreExact) {
  auto empty = this->spool_->Stats();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->entries, 0);
  EXPECT_EQ(empty->oldest_ms, 0);
  EXPECT_TRUE(empty->queues.empty());

  this->Push({Rec("a", "12345", "mm"), Rec("b", "1", "")});
  this->clock_.SetMs(1'700'000'000'500);
  this->Push({Rec("a", "", "meta")});
  auto got = this->Take("a", 1);
  ASSERT_TRUE(this->spool_->Ack(Ids(got)).ok());
  auto stats = this->spool_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entries, 2);
  EXPECT_EQ(stats->bytes, 1 + 4);
  EXPECT_EQ(stats->oldest_ms, 1'700'000'000'000);
  ASSERT_EQ(stats->queues.size(), 2u);
  EXPECT_EQ(stats->queues["a"].entries, 1);
  EXPECT_EQ(stats->queues["a"].bytes, 4);
  EXPECT_EQ(stats->queues["a"].oldest_ms, 1'700'000'000'500);
  EXPECT_EQ(stats->queues["b"].bytes, 1);
  EXPECT_EQ(stats->queues["b"].oldest_ms, 1'700'000'000'000);
}

TYPED_TEST(SpoolTest, BinaryBodiesRoundTrip) {
  std::string body("\0\x01\xff\n{}", 6);
  this->Push({Rec("q", body, std::string("\0m", 2))});
  auto got = this->Take("q", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].record.body, body);
  EXPECT_EQ(got[0].record.meta, std::string("\0m", 2));
}

TYPED_TEST(SpoolTest, ConcurrentPushersAndADrainerLoseNothing) {
  constexpr int kPerThread = 50;
  std::vector<std::thread> pushers;
  pushers.reserve(2);
  for (int t = 0; t < 2; ++t) {
    pushers.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(this->spool_->Push({Rec("q", std::to_string(t * 1000 + i))}).ok());
      }
    });
  }
  std::set<std::string> delivered;
  auto drain = [&] {
    auto got = this->Take("q", 7);
    for (const auto& e : got) EXPECT_TRUE(delivered.insert(e.record.body).second);
    EXPECT_TRUE(this->spool_->Ack(Ids(got)).ok());
  };
  while (static_cast<int>(delivered.size()) < 2 * kPerThread / 2) drain();
  for (auto& p : pushers) p.join();
  for (int i = 0; i < 2 * kPerThread; ++i) drain();
  EXPECT_EQ(static_cast<int>(delivered.size()), 2 * kPerThread);
  EXPECT_EQ(this->spool_->Stats()->entries, 0);
}

}  // namespace
}  // namespace ferry::spool
