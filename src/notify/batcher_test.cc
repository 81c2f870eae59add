#include "notify/batcher.h"

#include <gtest/gtest.h>

namespace ferry::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = AlertBatcher::TimePoint;

const TimePoint kT0 = TimePoint() + std::chrono::hours(1000);

Alert NewIssue(int64_t id) {
  Alert a;
  a.issue_id = id;
  a.project = "backend";
  a.title = "Error " + std::to_string(id);
  return a;
}

BatchOptions Options() {
  BatchOptions o;
  o.interval = seconds(60);
  o.retry_initial = seconds(1);
  o.retry_max = minutes(5);
  o.max_pending = 1000;
  o.max_per_mail = 500;
  return o;
}

TEST(AlertBatcherTest, NothingIsDueWhenNothingWaits) {
  AlertBatcher b(Options());
  EXPECT_FALSE(b.Due().has_value());
  EXPECT_TRUE(b.Take(kT0).empty());
}

TEST(AlertBatcherTest, WhenIdleTheFirstAlertIsDueAtOnce) {
  AlertBatcher b(Options());
  ASSERT_TRUE(b.Add(NewIssue(1)));
  ASSERT_TRUE(b.Due().has_value());
  EXPECT_LE(*b.Due(), kT0);
  auto mail = b.Take(kT0);
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].issue_id, 1);
  EXPECT_TRUE(b.in_flight());
  EXPECT_FALSE(b.Due().has_value()) << "nothing else is due while a mail is being sent";
  b.Sent(kT0);
  EXPECT_EQ(b.pending(), 0u);
}

TEST(AlertBatcherTest, AfterAMailABurstCollectsIntoOneDigest) {
  AlertBatcher b(Options());
  ASSERT_TRUE(b.Add(NewIssue(1)));
  ASSERT_EQ(b.Take(kT0).size(), 1u);
  b.Sent(kT0);
  for (int i = 2; i <= 300; ++i) ASSERT_TRUE(b.Add(NewIssue(i)));
  ASSERT_TRUE(b.Due().has_value());
  EXPECT_EQ(*b.Due(), kT0 + seconds(60));
  EXPECT_TRUE(b.Take(kT0 + seconds(59)).empty()) << "not before the batch interval";
  auto digest = b.Take(kT0 + seconds(60));
  ASSERT_EQ(digest.size(), 299u);
  EXPECT_EQ(digest.front().issue_id, 2);
  EXPECT_EQ(digest.back().issue_id, 300);
  b.Sent(kT0 + seconds(60));
  EXPECT_EQ(b.pending(), 0u);
  EXPECT_FALSE(b.Due().has_value());
}

TEST(AlertBatcherTest, AQuietIntervalMakesTheNextAlertImmediateAgain) {
  AlertBatcher b(Options());
  ASSERT_TRUE(b.Add(NewIssue(1)));
  ASSERT_EQ(b.Take(kT0).size(), 1u);
  b.Sent(kT0);
  ASSERT_TRUE(b.Add(NewIssue(2)));
  // An hour later the interval is long over: the alert goes at once.
  EXPECT_EQ(b.Take(kT0 + std::chrono::hours(1)).size(), 1u);
}

TEST(AlertBatcherTest, AMailListsAtMostMaxPerMailAndTheRestFollows) {
  BatchOptions o = Options();
  o.max_per_mail = 10;
  AlertBatcher b(o);
  for (int i = 1; i <= 25; ++i) ASSERT_TRUE(b.Add(NewIssue(i)));
  EXPECT_EQ(b.Take(kT0).size(), 10u);
  b.Sent(kT0);
  EXPECT_EQ(b.pending(), 15u);
  EXPECT_EQ(b.Take(kT0 + seconds(60)).size(), 10u);
  b.Sent(kT0 + seconds(60));
  EXPECT_EQ(b.Take(kT0 + seconds(120)).size(), 5u);
}

TEST(AlertBatcherTest, FailuresKeepTheAlertsAndBackOffDoublingUpToTheCap) {
  AlertBatcher b(Options());
  ASSERT_TRUE(b.Add(NewIssue(1)));
  TimePoint now = kT0;
  ASSERT_EQ(b.Take(now).size(), 1u);
  b.Failed(now);
  EXPECT_EQ(b.backoff(), seconds(1));
  EXPECT_EQ(*b.Due(), now + seconds(1));
  ASSERT_TRUE(b.Add(NewIssue(2)));  // arrives during the outage

  std::vector<seconds> waits;
  for (int attempt = 0; attempt < 12; ++attempt) {
    now = *b.Due();
    auto mail = b.Take(now);
    ASSERT_EQ(mail.size(), 2u) << "the failed alerts stay first, joined by the new one";
    EXPECT_EQ(mail[0].issue_id, 1);
    b.Failed(now);
    waits.push_back(std::chrono::duration_cast<seconds>(b.backoff()));
  }
  EXPECT_EQ(waits[0], seconds(2));
  EXPECT_EQ(waits[1], seconds(4));
  EXPECT_EQ(waits[7], seconds(256));
  EXPECT_EQ(waits[8], minutes(5)) << "capped";
  EXPECT_EQ(waits[11], minutes(5));

  now = *b.Due();
  ASSERT_EQ(b.Take(now).size(), 2u);
  b.Sent(now);
  EXPECT_EQ(b.pending(), 0u);
  EXPECT_EQ(b.backoff().count(), 0) << "a success resets the backoff";
  ASSERT_TRUE(b.Add(NewIssue(3)));
  EXPECT_EQ(*b.Due(), now + seconds(60)) << "after a success the batch interval applies";
  ASSERT_EQ(b.Take(now + seconds(60)).size(), 1u);
  b.Failed(now + seconds(60));
  EXPECT_EQ(b.backoff(), seconds(1)) << "a new outage starts again at the initial backoff";
}

TEST(AlertBatcherTest, PendingIsBoundedIncludingTheMailInFlight) {
  BatchOptions o = Options();
  o.max_pending = 3;
  AlertBatcher b(o);
  EXPECT_TRUE(b.Add(NewIssue(1)));
  EXPECT_TRUE(b.Add(NewIssue(2)));
  ASSERT_EQ(b.Take(kT0).size(), 2u);
  EXPECT_TRUE(b.Add(NewIssue(3)));
  EXPECT_FALSE(b.Add(NewIssue(4))) << "the two in flight still count";
  b.Failed(kT0);
  EXPECT_FALSE(b.Add(NewIssue(5)));
  EXPECT_EQ(b.pending(), 3u);
  ASSERT_EQ(b.Take(kT0 + seconds(1)).size(), 3u);
  b.Sent(kT0 + seconds(1));
  EXPECT_TRUE(b.Add(NewIssue(6)));
}

TEST(AlertBatcherTest, DiscardDropsTheMailInFlightWithoutDelayingTheNext) {
  AlertBatcher b(Options());
  ASSERT_TRUE(b.Add(NewIssue(1)));
  ASSERT_EQ(b.Take(kT0).size(), 1u);
  ASSERT_TRUE(b.Add(NewIssue(2)));
  b.Discard();
  EXPECT_EQ(b.pending(), 1u);
  auto mail = b.Take(kT0);
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].issue_id, 2);
}

}  // namespace
}  // namespace ferry::notify
