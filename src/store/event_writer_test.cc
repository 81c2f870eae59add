#include "store/event_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/testing/test_util.h"

namespace ferry::store {
namespace {

using testing::MakeEvent;

// A Store that forwards to a real one, but can hold SaveEvents until the test opens a gate,
// and can make it fail.
class GatedStore final : public Store {
 public:
  explicit GatedStore(Store& inner) : inner_(inner) {}

  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void WaitUntilEntered(int calls) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= calls; });
  }
  void FailWith(base::Status st) {
    std::lock_guard lock(mu_);
    failure_ = std::move(st);
  }

  base::Result<std::vector<SaveResult>> SaveEvents(const std::vector<EventRecord>& b) override {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    if (!failure_.ok()) return failure_;
    lock.unlock();
    return inner_.SaveEvents(b);
  }

  base::Result<Project> CreateProject(const std::string& n, const std::string& p) override {
    return inner_.CreateProject(n, p);
  }
  base::Result<std::vector<Project>> ListProjects() override { return inner_.ListProjects(); }
  base::Result<std::optional<Project>> FindProject(int64_t id) override {
    return inner_.FindProject(id);
  }
  base::Result<std::optional<Project>> FindProjectBySlug(const std::string& s) override {
    return inner_.FindProjectBySlug(s);
  }
  base::Result<std::optional<ProjectKey>> FindKey(const std::string& k) override {
    return inner_.FindKey(k);
  }
  base::Status SetKeyEnabled(const std::string& k, bool enabled) override {
    return inner_.SetKeyEnabled(k, enabled);
  }
  base::Status CreateSession(int64_t u, const std::string& t, const std::string& c,
                             int64_t x) override {
    return inner_.CreateSession(u, t, c, x);
  }
  base::Result<std::optional<Session>> FindSession(const std::string& t, int64_t now) override {
    return inner_.FindSession(t, now);
  }
  base::Status DeleteSession(const std::string& t) override { return inner_.DeleteSession(t); }
  base::Result<int64_t> CountIssueEvents(int64_t i) override { return inner_.CountIssueEvents(i); }
  base::Result<ProjectStats> GetProjectStats(int64_t p, int64_t now, int64_t since) override {
    return inner_.GetProjectStats(p, now, since);
  }
  base::Result<std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>>> IssuesDailyCounts(
      const std::vector<int64_t>& ids, int64_t since) override {
    return inner_.IssuesDailyCounts(ids, since);
  }
  base::Result<bool> HasTagKey(int64_t p, const std::string& k) override {
    return inner_.HasTagKey(p, k);
  }
  base::Status DeleteUserSessions(int64_t u) override { return inner_.DeleteUserSessions(u); }
  base::Result<User> CreateUser(const std::string& e, const std::string& h, bool s) override {
    return inner_.CreateUser(e, h, s);
  }
  base::Result<std::optional<User>> FindUserByEmail(const std::string& e) override {
    return inner_.FindUserByEmail(e);
  }
  base::Result<std::vector<User>> ListUsers() override { return inner_.ListUsers(); }
  base::Status AddToken(int64_t u, const std::string& t) override { return inner_.AddToken(u, t); }
  base::Result<std::optional<User>> FindUserByToken(const std::string& t) override {
    return inner_.FindUserByToken(t);
  }
  base::Status AddItemCounts(const std::vector<ItemCount>& c) override {
    return inner_.AddItemCounts(c);
  }
  base::Result<std::vector<Issue>> ListIssues(const IssueQuery& q) override {
    return inner_.ListIssues(q);
  }
  base::Result<std::optional<Issue>> FindIssue(int64_t id) override { return inner_.FindIssue(id); }
  base::Status SetIssueStatus(int64_t id, IssueStatus s) override {
    return inner_.SetIssueStatus(id, s);
  }
  base::Result<std::vector<StoredEvent>> ListIssueEvents(int64_t i, int l, int64_t o) override {
    return inner_.ListIssueEvents(i, l, o);
  }
  base::Result<std::optional<StoredEvent>> FindEvent(int64_t p, const std::string& e) override {
    return inner_.FindEvent(p, e);
  }
  base::Result<std::vector<Attachment>> ListAttachments(int64_t p, const std::string& e) override {
    return inner_.ListAttachments(p, e);
  }
  base::Result<std::vector<TagValueCount>> IssueTagValues(int64_t i, const std::string& k,
                                                          int n) override {
    return inner_.IssueTagValues(i, k, n);
  }
  base::Result<std::vector<std::pair<int64_t, int64_t>>> IssueDailyCounts(int64_t i,
                                                                          int64_t s) override {
    return inner_.IssueDailyCounts(i, s);
  }
  base::Result<std::vector<ItemCount>> ListItemCounts(int64_t p) override {
    return inner_.ListItemCounts(p);
  }
  base::Result<int64_t> DeleteEventsBefore(int64_t c, int b) override {
    return inner_.DeleteEventsBefore(c, b);
  }
  base::Result<int64_t> TrimProjectEvents(int64_t p, int64_t k, int b) override {
    return inner_.TrimProjectEvents(p, k, b);
  }
  base::Result<bool> IsEmpty() override { return inner_.IsEmpty(); }
  base::Status Wipe() override { return inner_.Wipe(); }
  base::Status Export(bool c, const std::function<base::Status(const BackupRow&)>& s) override {
    return inner_.Export(c, s);
  }
  base::Status Import(const std::function<base::Result<std::optional<BackupRow>>()>& n) override {
    return inner_.Import(n);
  }

 private:
  Store& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int entered_ = 0;
  base::Status failure_;
};

class EventWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    real_ = testing::OpenOrDie(dir_.File("ferry.db"));
    auto p = real_->CreateProject("web", "");
    ASSERT_TRUE(p.ok());
    project_ = p->id;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> real_;
  int64_t project_ = 0;
};

TEST_F(EventWriterTest, GroupCommitsManyThreadsAndAnswersEveryone) {
  GatedStore store(*real_);
  store.Close();
  EventWriterOptions options;
  options.max_batch_records = 64;
  EventWriter writer(store, options);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::atomic<int> ok{0};
  std::atomic<int> new_issues{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int n = t * kPerThread + i;
        writer.Submit(MakeEvent(project_, n, "h" + std::to_string(n % 10), n),
                      [&](const base::Result<SaveResult>& r) {
                        if (r.ok()) ++ok;
                        if (r.ok() && r->new_issue) ++new_issues;
                      });
      }
    });
  }
  for (auto& t : threads) t.join();
  store.Open();  // everything is queued behind the first batch now
  writer.Stop();

  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(new_issues.load(), 10);
  EventWriterStats stats = writer.stats();
  EXPECT_EQ(stats.events, kThreads * kPerThread);
  EXPECT_GT(stats.largest_batch, 1);
  EXPECT_LE(stats.largest_batch, 64);
  EXPECT_LT(stats.batches, kThreads * kPerThread);

  IssueQuery q;
  q.project_id = project_;
  int64_t total = 0;
  for (const Issue& i : testing::Get(real_->ListIssues(q))) total += i.count;
  EXPECT_EQ(total, kThreads * kPerThread);
}

TEST_F(EventWriterTest, FullQueueAnswersUnavailableAtOnce) {
  GatedStore store(*real_);
  store.Close();
  EventRecord sample = MakeEvent(project_, 0, "h", 0);
  EventWriterOptions options;
  options.max_queue_bytes = EventWriter::RecordBytes(sample) * 3 + 10;
  EventWriter writer(store, options);

  std::atomic<int> ok{0};
  auto count_ok = [&](const base::Result<SaveResult>& r) {
    if (r.ok()) ++ok;
  };
  writer.Submit(MakeEvent(project_, 0, "h", 0), count_ok);
  store.WaitUntilEntered(1);  // the writer holds event 0 and waits at the gate
  for (int i = 1; i <= 3; ++i) writer.Submit(MakeEvent(project_, i, "h", i), count_ok);
  base::Status rejected;
  writer.Submit(MakeEvent(project_, 4, "h", 4),
                [&](const base::Result<SaveResult>& r) { rejected = r.status(); });
  EXPECT_EQ(rejected.code(), base::Code::kUnavailable);
  EXPECT_EQ(rejected.detail(), "store is busy");
  store.Open();
  writer.Stop();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(writer.stats().rejected, 1);
}

TEST_F(EventWriterTest, StoreErrorReachesEveryCallbackOfTheBatch) {
  GatedStore store(*real_);
  store.FailWith(base::Unavailable("disk full"));
  store.Close();
  EventWriter writer(store);
  std::atomic<int> failed{0};
  for (int i = 0; i < 20; ++i) {
    writer.Submit(MakeEvent(project_, i, "h", i), [&](const base::Result<SaveResult>& r) {
      if (!r.ok() && r.status().detail() == "disk full") ++failed;
    });
  }
  store.Open();
  writer.Stop();
  EXPECT_EQ(failed.load(), 20);
  EXPECT_EQ(writer.stats().failed, 20);
}

TEST_F(EventWriterTest, SubmitAfterStopIsUnavailable) {
  EventWriter writer(*real_);
  writer.Stop();
  base::Status st;
  writer.Submit(MakeEvent(project_, 1, "h", 1),
                [&](const base::Result<SaveResult>& r) { st = r.status(); });
  EXPECT_EQ(st.code(), base::Code::kUnavailable);
}

TEST_F(EventWriterTest, CountsAreSummedAndWritten) {
  {
    EventWriter writer(*real_);
    for (int i = 0; i < 10; ++i) {
      writer.SubmitCounts({{project_, "transaction", 3, 2}, {project_, "session", 4, 1}});
    }
  }  // the destructor drains
  auto counts = real_->ListItemCounts(project_);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].category, "transaction");
  EXPECT_EQ((*counts)[0].count, 20);
  EXPECT_EQ((*counts)[1].count, 10);
}

}  // namespace
}  // namespace ferry::store
