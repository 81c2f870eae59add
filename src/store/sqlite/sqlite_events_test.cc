// SaveEvents grouping, regressions, queries and attachments on the SQLite store.
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/test_util.h"

namespace ferry::store::sqlite {
namespace {

using testing::EventId;
using testing::MakeEvent;

constexpr int64_t kDay = 86'400'000;

class SqliteEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenOrDie(dir_.File("ferry.db"));
    auto p = store_->CreateProject("web", "python");
    ASSERT_TRUE(p.ok());
    project_ = p->id;
  }

  SaveResult Save(const EventRecord& r) {
    auto results = store_->SaveEvents({r});
    EXPECT_TRUE(results.ok()) << results.status().ToString();
    if (!results.ok()) return {};
    return results->front();
  }

  std::vector<Issue> List(IssueQuery q) {
    q.project_id = project_;
    auto issues = store_->ListIssues(q);
    EXPECT_TRUE(issues.ok()) << issues.status().ToString();
    return issues.ok() ? *issues : std::vector<Issue>{};
  }

  Issue Find(int64_t id) {
    auto issue = store_->FindIssue(id);
    EXPECT_TRUE(issue.ok() && issue->has_value());
    return issue.ok() && issue->has_value() ? **issue : Issue{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  int64_t project_ = 0;
};

TEST_F(SqliteEventsTest, SameHashGroupsIntoOneIssueOtherHashIntoAnother) {
  auto results =
      store_->SaveEvents({MakeEvent(project_, 1, "a", 1000), MakeEvent(project_, 2, "a", 2000),
                          MakeEvent(project_, 3, "b", 1500)});
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 3u);
  EXPECT_TRUE((*results)[0].new_issue);
  EXPECT_FALSE((*results)[1].new_issue);
  EXPECT_EQ((*results)[0].issue_id, (*results)[1].issue_id);
  EXPECT_TRUE((*results)[2].new_issue);
  EXPECT_NE((*results)[2].issue_id, (*results)[0].issue_id);

  Issue a = Find((*results)[0].issue_id);
  EXPECT_EQ(a.count, 2);
  EXPECT_EQ(a.first_seen_ms, 1000);
  EXPECT_EQ(a.last_seen_ms, 2000);
  EXPECT_EQ(a.grouping_hash, "a");
  EXPECT_EQ(a.platform, "python");
  EXPECT_EQ(a.status, IssueStatus::kUnresolved);
  EXPECT_EQ(Find((*results)[2].issue_id).count, 1);
}

TEST_F(SqliteEventsTest, IssueTakesTitleCulpritAndLevelOfItsLatestEvent) {
  EventRecord first = MakeEvent(project_, 1, "a", 5000);
  int64_t issue = Save(first).issue_id;
  EventRecord newer = MakeEvent(project_, 2, "a", 6000);
  newer.title = "newer title";
  newer.culprit = "newer.culprit";
  newer.level = "warning";
  Save(newer);
  EventRecord late = MakeEvent(project_, 3, "a", 1000);
  late.title = "late title";
  Save(late);
  Issue i = Find(issue);
  EXPECT_EQ(i.title, "newer title");
  EXPECT_EQ(i.culprit, "newer.culprit");
  EXPECT_EQ(i.level, "warning");
  EXPECT_EQ(i.first_seen_ms, 1000);
  EXPECT_EQ(i.last_seen_ms, 6000);
  EXPECT_EQ(i.count, 3);
}

TEST_F(SqliteEventsTest, DuplicateEventIdChangesNothing) {
  SaveResult first = Save(MakeEvent(project_, 7, "a", 1000));
  auto again =
      store_->SaveEvents({MakeEvent(project_, 7, "a", 2000), MakeEvent(project_, 7, "b", 3000)});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].duplicate);
  EXPECT_TRUE((*again)[1].duplicate);
  EXPECT_EQ((*again)[0].issue_id, first.issue_id);
  EXPECT_EQ(Find(first.issue_id).count, 1);
  EXPECT_EQ(Find(first.issue_id).last_seen_ms, 1000);
  EXPECT_EQ(List({}).size(), 1u);
  EXPECT_EQ(*store_->CountIssueEvents(List({})[0].id), 1);
  EXPECT_EQ(*store_->CountIssueEvents(12345), 0);
  // Days since the epoch of the events' timestamps: 1000 and 2000 ms are day 0.
  auto stats = store_->GetProjectStats(project_, /*now_ms=*/1000 + 3600'000, 0);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->open_issues, 1);
  EXPECT_EQ(stats->events_24h, 1);
  EXPECT_EQ(stats->daily, (std::vector<std::pair<int64_t, int64_t>>{{0, 1}}));
  EXPECT_EQ(store_->GetProjectStats(project_, 1000 + 2 * 86'400'000, 0)->events_24h, 0);
  const int64_t a = List({})[0].id;
  auto daily = store_->IssuesDailyCounts({a, 999}, 0);
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(daily->size(), 1u);
  EXPECT_EQ(daily->at(a), (std::vector<std::pair<int64_t, int64_t>>{{0, 1}}));
}

TEST_F(SqliteEventsTest, SameEventIdInAnotherProjectIsNotADuplicate) {
  auto other = store_->CreateProject("api", "");
  ASSERT_TRUE(other.ok());
  Save(MakeEvent(project_, 1, "a", 1000));
  SaveResult r = Save(MakeEvent(other->id, 1, "a", 1000));
  EXPECT_FALSE(r.duplicate);
  EXPECT_TRUE(r.new_issue);
}

TEST_F(SqliteEventsTest, ResolvedIssueRegressesOnNewEvent) {
  int64_t issue = Save(MakeEvent(project_, 1, "a", 1000)).issue_id;
  ASSERT_TRUE(store_->SetIssueStatus(issue, IssueStatus::kResolved).ok());
  EXPECT_EQ(Find(issue).status, IssueStatus::kResolved);
  SaveResult r = Save(MakeEvent(project_, 2, "a", 2000));
  EXPECT_TRUE(r.regressed);
  EXPECT_FALSE(r.new_issue);
  EXPECT_EQ(Find(issue).status, IssueStatus::kUnresolved);
  EXPECT_FALSE(Save(MakeEvent(project_, 3, "a", 3000)).regressed);
}

TEST_F(SqliteEventsTest, IgnoredIssueStaysIgnored) {
  int64_t issue = Save(MakeEvent(project_, 1, "a", 1000)).issue_id;
  ASSERT_TRUE(store_->SetIssueStatus(issue, IssueStatus::kIgnored).ok());
  SaveResult r = Save(MakeEvent(project_, 2, "a", 2000));
  EXPECT_FALSE(r.regressed);
  EXPECT_EQ(Find(issue).status, IssueStatus::kIgnored);
  EXPECT_EQ(Find(issue).count, 2);
}

TEST_F(SqliteEventsTest, SetStatusOfMissingIssueIsNotFound) {
  EXPECT_EQ(store_->SetIssueStatus(12345, IssueStatus::kResolved).code(), base::Code::kNotFound);
}

TEST_F(SqliteEventsTest, ListIssuesAppliesEveryFilter) {
  EventRecord a = MakeEvent(project_, 1, "a", 1000);
  a.title = "TypeError: boom";
  a.environment = "staging";
  a.release = "2.0";
  // The filters read the tags, which ingest derives from those fields.
  a.tags = {{"environment", "staging"}, {"release", "2.0"}};
  EventRecord b = MakeEvent(project_, 2, "b", 3000);
  b.level = "warning";
  b.culprit = "billing.charge";
  EventRecord c = MakeEvent(project_, 3, "c", 2000);
  c.message = "Disk 100% full_now";
  int64_t ia = Save(a).issue_id;
  int64_t ib = Save(b).issue_id;
  int64_t ic = Save(c).issue_id;
  auto other = store_->CreateProject("api", "");
  ASSERT_TRUE(other.ok());
  Save(MakeEvent(other->id, 9, "a", 5000));

  auto ids = [](const std::vector<Issue>& issues) {
    std::vector<int64_t> out;
    out.reserve(issues.size());
    for (const Issue& i : issues) out.push_back(i.id);
    return out;
  };
  EXPECT_EQ(ids(List({})), (std::vector<int64_t>{ib, ic, ia}));  // last_seen desc

  ASSERT_TRUE(store_->SetIssueStatus(ic, IssueStatus::kResolved).ok());
  IssueQuery q;
  q.status = IssueStatus::kResolved;
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ic}));
  q = {};
  q.status = IssueStatus::kUnresolved;
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ib, ia}));

  q = {};
  q.level = "warning";
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ib}));
  q = {};
  q.environment = "staging";
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ia}));
  q = {};
  q.release = "2.0";
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ia}));
  q = {};
  q.release = "none";
  EXPECT_TRUE(List(q).empty());
  q = {};
  q.since_ms = 2000;
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ib, ic}));

  q = {};
  q.text = "typeerror";  // title, any case
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ia}));
  q.text = "BILLING";  // culprit
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ib}));
  q.text = "100% full_";  // message; % and _ are literal
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ic}));
  q.text = "100%%";
  EXPECT_TRUE(List(q).empty());
  q.text = "Disk_1";
  EXPECT_TRUE(List(q).empty());

  q = {};
  q.limit = 2;
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ib, ic}));
  q.offset = 2;
  EXPECT_EQ(ids(List(q)), (std::vector<int64_t>{ia}));

  q = {};
  q.status = IssueStatus::kUnresolved;
  q.environment = "production";
  q.level = "error";
  EXPECT_TRUE(List(q).empty());  // c is resolved, a is staging, b is a warning
}

TEST_F(SqliteEventsTest, HasTagKeyAndEveryProjectsList) {
  Save(MakeEvent(project_, 1, "a", 1000));  // tags environment, server
  auto other = store_->CreateProject("api", "");
  ASSERT_TRUE(other.ok());
  EventRecord b = MakeEvent(other->id, 2, "b", 2000);
  b.tags = {{"browser", "Firefox"}};
  Save(b);
  EXPECT_TRUE(*store_->HasTagKey(project_, "server"));
  EXPECT_FALSE(*store_->HasTagKey(project_, "browser"));
  EXPECT_TRUE(*store_->HasTagKey(other->id, "browser"));
  EXPECT_TRUE(*store_->HasTagKey(0, "browser"));
  EXPECT_FALSE(*store_->HasTagKey(0, "lvel"));
  EXPECT_EQ(List({}).size(), 1u);
  auto all = store_->ListIssues(IssueQuery{});  // project 0: every project
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(SqliteEventsTest, ListIssueEventsNewestFirstWithPaging) {
  int64_t issue = 0;
  for (int i = 0; i < 5; ++i)
    issue = Save(MakeEvent(project_, i, "a", 1000 + (i * 7) % 5)).issue_id;
  auto events = store_->ListIssueEvents(issue, 10, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 5u);
  for (size_t i = 1; i < events->size(); ++i) {
    EXPECT_GE((*events)[i - 1].record.timestamp_ms, (*events)[i].record.timestamp_ms);
  }
  auto page = store_->ListIssueEvents(issue, 2, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].record.event_id, (*events)[1].record.event_id);
}

TEST_F(SqliteEventsTest, FindEventReturnsTheWholeRecord) {
  EventRecord r = MakeEvent(project_, 42, "a", 1234);
  r.grouping_components = {"type: ValueError", "frame: app.main"};
  r.tags = {{"a", "1"}, {"b", "x\"y"}};
  int64_t issue = Save(r).issue_id;
  auto found = store_->FindEvent(project_, EventId(42));
  ASSERT_TRUE(found.ok() && found->has_value());
  const StoredEvent& e = **found;
  EXPECT_EQ(e.issue_id, issue);
  EXPECT_EQ(e.record.payload_json, r.payload_json);
  EXPECT_EQ(e.record.grouping_components, r.grouping_components);
  EXPECT_EQ(e.record.tags, r.tags);
  EXPECT_EQ(e.record.message, r.message);
  EXPECT_EQ(e.record.release, "1.0");
  EXPECT_EQ(e.record.received_ms, 1234);
  auto missing = store_->FindEvent(project_, EventId(43));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteEventsTest, AttachmentsRoundTripBinaryData) {
  EventRecord r = MakeEvent(project_, 1, "a", 1000);
  std::string binary("\x00\x01\xff\x00zz\n\x00", 8);
  r.attachments = {{"dump.dmp", "application/octet-stream", "event.minidump", binary, 0},
                   {"empty.txt", "text/plain", "event.attachment", "", 0}};
  Save(r);
  auto listed = store_->ListAttachments(project_, EventId(1));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].data, binary);
  EXPECT_EQ((*listed)[0].size, 8);
  EXPECT_EQ((*listed)[0].filename, "dump.dmp");
  EXPECT_EQ((*listed)[0].attachment_type, "event.minidump");
  EXPECT_EQ((*listed)[1].data, "");
  // Event listings carry the metadata only.
  auto found = store_->FindEvent(project_, EventId(1));
  ASSERT_TRUE(found.ok() && found->has_value());
  ASSERT_EQ((*found)->record.attachments.size(), 2u);
  EXPECT_EQ((*found)->record.attachments[0].size, 8);
  EXPECT_TRUE((*found)->record.attachments[0].data.empty());
}

TEST_F(SqliteEventsTest, CountsEventsPerIssuePerDay) {
  int64_t issue = Save(MakeEvent(project_, 1, "a", 10 * kDay + 5)).issue_id;
  Save(MakeEvent(project_, 2, "a", 10 * kDay + 50));
  Save(MakeEvent(project_, 3, "a", 12 * kDay));
  auto days = store_->IssueDailyCounts(issue, 0);
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(*days, (std::vector<std::pair<int64_t, int64_t>>{{10, 2}, {12, 1}}));
  auto recent = store_->IssueDailyCounts(issue, 11);
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(*recent, (std::vector<std::pair<int64_t, int64_t>>{{12, 1}}));
}

TEST_F(SqliteEventsTest, ItemCountsAreSummedPerProjectCategoryAndDay) {
  ASSERT_TRUE(
      store_->AddItemCounts({{project_, "transaction", 3, 5}, {project_, "session", 3, 1}}).ok());
  ASSERT_TRUE(store_->AddItemCounts({{project_, "transaction", 3, 2}}).ok());
  auto counts = store_->ListItemCounts(project_);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].category, "session");
  EXPECT_EQ((*counts)[1].category, "transaction");
  EXPECT_EQ((*counts)[1].count, 7);
}

TEST_F(SqliteEventsTest, TrimProjectEventsKeepsTheNewestAndEveryIssuesLatest) {
  // Two quiet issues first, then a crash loop in a third; another project is not touched.
  int64_t quiet_a = Save(MakeEvent(project_, 1, "quiet-a", 1000)).issue_id;
  int64_t quiet_b = Save(MakeEvent(project_, 2, "quiet-b", 1001)).issue_id;
  int64_t loop = 0;
  for (int i = 0; i < 20; ++i) loop = Save(MakeEvent(project_, 100 + i, "loop", 2000 + i)).issue_id;
  EventRecord with_attachment = MakeEvent(project_, 200, "loop", 2100);
  with_attachment.attachments = {{"a", "b", "c", "data", 0}};
  Save(with_attachment);
  Save(MakeEvent(project_, 201, "loop", 2200));
  auto other = store_->CreateProject("other", "");
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 5; ++i) Save(MakeEvent(other->id, 300 + i, "elsewhere", 1000 + i));

  // 24 stored, keep 10: 14 go, in batches of at most 5.
  int64_t deleted = 0;
  std::vector<int64_t> batches;
  while (true) {
    auto n = store_->TrimProjectEvents(project_, 10, 5);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    batches.push_back(*n);
    deleted += *n;
  }
  EXPECT_EQ(deleted, 14);
  EXPECT_EQ(batches, (std::vector<int64_t>{5, 5, 4}));

  // The quiet issues keep their only event; the loop keeps its 8 newest.
  EXPECT_EQ(store_->ListIssueEvents(quiet_a, 100, 0)->size(), 1u);
  EXPECT_EQ(store_->ListIssueEvents(quiet_b, 100, 0)->size(), 1u);
  auto left = store_->ListIssueEvents(loop, 100, 0);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 8u);
  EXPECT_EQ(left->front().record.event_id, EventId(201));
  EXPECT_TRUE(store_->FindEvent(project_, EventId(200))->has_value());
  EXPECT_FALSE(store_->FindEvent(project_, EventId(113))->has_value());
  EXPECT_TRUE(store_->FindEvent(project_, EventId(114))->has_value());
  EXPECT_EQ(store_->ListAttachments(project_, EventId(200))->size(), 1u);
  EXPECT_EQ(Find(loop).count, 22);  // the cap does not lower the count
  EXPECT_EQ(*store_->TrimProjectEvents(other->id, 10, 5), 0);

  // A cap below the number of issues: first every issue is cut to its newest event, then
  // the oldest issues go with their only event.
  auto tight = store_->TrimProjectEvents(project_, 1, 5);
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ(*tight, 5);
  EXPECT_EQ(*store_->TrimProjectEvents(project_, 1, 50), 2);
  EXPECT_EQ(store_->ListIssueEvents(quiet_a, 100, 0)->size(), 1u);
  EXPECT_EQ(*store_->TrimProjectEvents(project_, 1, 50), 2);
  EXPECT_EQ(*store_->TrimProjectEvents(project_, 1, 50), 0);
  EXPECT_FALSE(store_->FindIssue(quiet_a)->has_value());
  EXPECT_FALSE(store_->FindIssue(quiet_b)->has_value());
  EXPECT_EQ(store_->ListIssueEvents(loop, 100, 0)->size(), 1u);
  EXPECT_EQ(store_->ListIssueEvents(loop, 100, 0)->front().record.event_id, EventId(201));
}

TEST_F(SqliteEventsTest, DeleteEventsBeforeWorksInBatchesAndDropsEmptyIssues) {
  int64_t old_issue = 0;
  for (int i = 0; i < 5; ++i) old_issue = Save(MakeEvent(project_, i, "old", 1000 + i)).issue_id;
  int64_t mixed = Save(MakeEvent(project_, 10, "mixed", 1000)).issue_id;
  Save(MakeEvent(project_, 11, "mixed", 9000));
  EventRecord with_attachment = MakeEvent(project_, 12, "old", 1100);
  with_attachment.attachments = {{"a", "b", "c", "data", 0}};
  Save(with_attachment);

  auto first = store_->DeleteEventsBefore(5000, 4);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 4);
  auto second = store_->DeleteEventsBefore(5000, 4);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 3);
  EXPECT_EQ(*store_->DeleteEventsBefore(5000, 4), 0);

  auto gone = store_->FindIssue(old_issue);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(store_->IssueDailyCounts(old_issue, 0)->empty());
  Issue kept = Find(mixed);
  EXPECT_EQ(kept.count, 2);  // retention does not lower the count
  auto left = store_->ListIssueEvents(mixed, 10, 0);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().record.event_id, EventId(11));
  EXPECT_TRUE(store_->ListAttachments(project_, EventId(12))->empty());
}

}  // namespace
}  // namespace ferry::store::sqlite

namespace ferry::store::sqlite {
namespace {

EventRecord WithUser(EventRecord r, const std::string& user) {
  r.tags.emplace_back("user", user);
  return r;
}

TEST_F(SqliteEventsTest, IssueCountsDistinctUsers) {
  Save(WithUser(MakeEvent(project_, 1, "a", 1000), "id:ann"));
  Save(WithUser(MakeEvent(project_, 2, "a", 2000), "id:bob"));
  Save(WithUser(MakeEvent(project_, 3, "a", 3000), "id:ann"));
  SaveResult r = Save(MakeEvent(project_, 4, "a", 4000));  // anonymous
  Save(WithUser(MakeEvent(project_, 5, "b", 1000), "id:ann"));
  EXPECT_EQ(Find(r.issue_id).user_count, 2);
  EXPECT_EQ(Find(r.issue_id).count, 4);
  // A duplicate is not a new user or a new count.
  Save(WithUser(MakeEvent(project_, 2, "a", 2000), "id:carl"));
  EXPECT_EQ(Find(r.issue_id).user_count, 2);
}

TEST_F(SqliteEventsTest, IssueKeepsTypeAndMetadataOfItsLatestEvent) {
  EventRecord first = MakeEvent(project_, 1, "a", 2000);
  first.type = "error";
  first.metadata_json = R"({"type":"ValueError","value":"new"})";
  SaveResult r = Save(first);
  EventRecord late = MakeEvent(project_, 2, "a", 1000);  // older: the issue keeps the first's
  late.type = "default";
  late.metadata_json = R"({"title":"old"})";
  Save(late);
  Issue issue = Find(r.issue_id);
  EXPECT_EQ(issue.type, "error");
  EXPECT_EQ(issue.metadata_json, first.metadata_json);
}

TEST_F(SqliteEventsTest, TagValuesPerIssueMostFrequentFirst) {
  auto browser = [&](int n, const std::string& name) {
    EventRecord r = MakeEvent(project_, n, "a", 1000 + n);
    r.tags.emplace_back("browser.name", name);
    return Save(r).issue_id;
  };
  browser(1, "Firefox");
  browser(2, "Chrome");
  int64_t issue = browser(3, "Chrome");
  auto values = store_->IssueTagValues(issue, "browser.name", 10);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0].value, "Chrome");
  EXPECT_EQ((*values)[0].count, 2);
  EXPECT_EQ((*values)[0].first_seen_ms, 1002);
  EXPECT_EQ((*values)[0].last_seen_ms, 1003);
  EXPECT_EQ((*values)[1].value, "Firefox");
  auto top = store_->IssueTagValues(issue, "", 1);
  ASSERT_TRUE(top.ok());
  // One value per key: browser.name, environment, server.
  ASSERT_EQ(top->size(), 3u);
  EXPECT_EQ((*top)[0].key, "browser.name");
  EXPECT_EQ((*top)[0].value, "Chrome");
}

TEST_F(SqliteEventsTest, ListIssuesFiltersByTagsAndNegatedTags) {
  EventRecord a = MakeEvent(project_, 1, "a", 1000);
  a.tags.emplace_back("handled", "no");
  int64_t ia = Save(a).issue_id;
  EventRecord b = MakeEvent(project_, 2, "b", 2000);
  b.tags.emplace_back("handled", "yes");
  int64_t ib = Save(b).issue_id;
  int64_t ic = Save(MakeEvent(project_, 3, "c", 3000)).issue_id;
  auto ids = [&](std::vector<IssueQuery::TagFilter> tags) {
    IssueQuery q;
    q.tags = std::move(tags);
    std::vector<int64_t> out;
    for (const Issue& i : List(q)) out.push_back(i.id);
    return out;
  };
  EXPECT_EQ(ids({{"handled", "no"}}), std::vector<int64_t>{ia});
  EXPECT_EQ(ids({{"handled", "no", true}}), (std::vector<int64_t>{ic, ib}));
  EXPECT_EQ(ids({{"server", "a"}, {"handled", "yes"}}), std::vector<int64_t>{ib});
  EXPECT_TRUE(ids({{"handled", "maybe"}}).empty());
}

TEST_F(SqliteEventsTest, ListIssuesSortsByUsersEventsAndFirstSeen) {
  int64_t many_users = Save(WithUser(MakeEvent(project_, 1, "a", 1000), "id:1")).issue_id;
  Save(WithUser(MakeEvent(project_, 2, "a", 1100), "id:2"));
  int64_t many_events = Save(MakeEvent(project_, 3, "b", 2000)).issue_id;
  Save(MakeEvent(project_, 4, "b", 2100));
  Save(MakeEvent(project_, 5, "b", 2200));
  int64_t newest = Save(MakeEvent(project_, 6, "c", 5000)).issue_id;
  auto first = [&](IssueSort sort) {
    IssueQuery q;
    q.sort = sort;
    auto issues = List(q);
    return issues.empty() ? 0 : issues.front().id;
  };
  EXPECT_EQ(first(IssueSort::kUsers), many_users);
  EXPECT_EQ(first(IssueSort::kEvents), many_events);
  EXPECT_EQ(first(IssueSort::kFirstSeen), newest);
  EXPECT_EQ(first(IssueSort::kLastSeen), newest);
}

TEST_F(SqliteEventsTest, DeletingEventsTakesTheirTagsAndUsersBackOut) {
  int64_t issue = Save(WithUser(MakeEvent(project_, 1, "a", 1000), "id:ann")).issue_id;
  Save(WithUser(MakeEvent(project_, 2, "a", 2000), "id:bob"));
  Save(WithUser(MakeEvent(project_, 3, "a", 3000), "id:bob"));
  EXPECT_EQ(Find(issue).user_count, 2);
  // Retention takes the oldest event: ann's only one.
  ASSERT_EQ(*store_->DeleteEventsBefore(1500, 10), 1);
  EXPECT_EQ(Find(issue).user_count, 1);
  auto users = store_->IssueTagValues(issue, "user", 10);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].value, "id:bob");
  EXPECT_EQ((*users)[0].count, 2);
  IssueQuery q;
  q.tags = {{"user", "id:ann"}};
  EXPECT_TRUE(List(q).empty());
  // The cap takes bob's older event: his count goes down, he stays.
  ASSERT_EQ(*store_->TrimProjectEvents(project_, 1, 10), 1);
  users = store_->IssueTagValues(issue, "user", 10);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].count, 1);
  EXPECT_EQ(Find(issue).user_count, 1);
  // The issue's last event goes: its tags go with it.
  ASSERT_EQ(*store_->DeleteEventsBefore(10'000, 10), 1);
  auto gone = store_->IssueTagValues(issue, "", 10);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->empty());
}

}  // namespace
}  // namespace ferry::store::sqlite

namespace ferry::store::sqlite {
namespace {

// Tag counts are summed in memory before they are written: a store opened meanwhile (a
// crash and restart, or a CLI command while the server runs) counts them from the events,
// and the first store then does not count them twice.
TEST(SqliteTagCountsTest, PendingCountsAreRecoveredByTheNextOpenAndNotCountedTwice) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  auto first = testing::OpenOrDie(path);
  auto project = first->CreateProject("web", "");
  ASSERT_TRUE(project.ok());
  std::vector<EventRecord> batch;
  for (int i = 0; i < 3; ++i) {
    EventRecord r = testing::MakeEvent(project->id, i, "a", 1000 + i);
    r.tags.emplace_back("user", "id:" + std::to_string(i % 2));
    batch.push_back(r);
  }
  auto saved = first->SaveEvents(batch);
  ASSERT_TRUE(saved.ok());
  const int64_t issue = saved->front().issue_id;
  {
    auto second = testing::OpenOrDie(path);
    auto issue_row = second->FindIssue(issue);
    ASSERT_TRUE(issue_row.ok() && issue_row->has_value());
    EXPECT_EQ((*issue_row)->user_count, 2);
  }
  auto users = first->IssueTagValues(issue, "user", 10);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].count, 2);  // id:0, not 4
  auto issue_row = first->FindIssue(issue);
  ASSERT_TRUE(issue_row.ok() && issue_row->has_value());
  EXPECT_EQ((*issue_row)->user_count, 2);
  // Within one batch, a user seen twice is one user.
  EXPECT_EQ((*users)[1].count, 1);
}

}  // namespace
}  // namespace ferry::store::sqlite
