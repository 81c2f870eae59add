#include "store/retention.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/testing/fake_clock.h"
#include "store/testing/test_util.h"

namespace ferry::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using testing::EventId;
using testing::MakeEvent;

constexpr int64_t kDay = 86'400'000;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenOrDie(dir_.File("ferry.db"));
    auto p = store_->CreateProject("web", "");
    ASSERT_TRUE(p.ok());
    project_ = p->id;
    clock_.Set(std::chrono::system_clock::time_point(milliseconds(100 * kDay)));
    // Issue "old": 7 events received 40 days ago. Issue "mixed": one old, one from today.
    std::vector<EventRecord> events;
    events.reserve(9);
    for (int i = 0; i < 7; ++i) events.push_back(MakeEvent(project_, i, "old", 60 * kDay + i));
    events.push_back(MakeEvent(project_, 10, "mixed", 60 * kDay));
    events.push_back(MakeEvent(project_, 11, "mixed", 99 * kDay));
    auto saved = store_->SaveEvents(events);
    ASSERT_TRUE(saved.ok());
    old_issue_ = (*saved)[0].issue_id;
    mixed_issue_ = (*saved)[7].issue_id;
  }

  void ExpectSwept() {
    auto old = store_->FindIssue(old_issue_);
    ASSERT_TRUE(old.ok());
    EXPECT_FALSE(old->has_value());
    auto mixed = store_->FindIssue(mixed_issue_);
    ASSERT_TRUE(mixed.ok() && mixed->has_value());
    EXPECT_EQ((*mixed)->count, 2);
    EXPECT_FALSE(store_->FindEvent(project_, EventId(10))->has_value());
    EXPECT_TRUE(store_->FindEvent(project_, EventId(11))->has_value());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  int64_t project_ = 0;
  int64_t old_issue_ = 0;
  int64_t mixed_issue_ = 0;
};

TEST_F(RetentionTest, RunOnceDeletesOldEventsInBatchesAndKeepsRecentOnes) {
  RetentionOptions options;
  options.batch_size = 3;
  options.pause = milliseconds(0);
  RetentionSweeper sweeper(*store_, clock_, 30, options);
  auto deleted = sweeper.RunOnce();
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 8);
  ExpectSwept();
  EXPECT_EQ(*sweeper.RunOnce(), 0);
}

TEST_F(RetentionTest, NothingIsOldEnoughYet) {
  RetentionSweeper sweeper(*store_, clock_, 45, {});
  EXPECT_EQ(*sweeper.RunOnce(), 0);
  clock_.Advance(hours(24 * 6));
  EXPECT_EQ(*sweeper.RunOnce(), 8);
}

TEST_F(RetentionTest, ZeroDaysKeepsEverything) {
  RetentionSweeper sweeper(*store_, clock_, 0, {});
  EXPECT_EQ(*sweeper.RunOnce(), 0);
  EXPECT_TRUE(store_->FindIssue(old_issue_)->has_value());
}

TEST_F(RetentionTest, BackgroundThreadSweepsAtStartAndStopsPromptly) {
  RetentionOptions options;
  options.interval = hours(1);
  RetentionSweeper sweeper(*store_, clock_, 30, options);
  sweeper.Start();
  for (int i = 0; i < 500 && store_->FindIssue(old_issue_)->has_value(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto started = std::chrono::steady_clock::now();
  sweeper.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  ExpectSwept();
}

}  // namespace
}  // namespace ferry::store
