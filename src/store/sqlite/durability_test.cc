// An event acknowledged by SaveEvents must survive the process being killed right after.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/test_util.h"

namespace ferry::store::sqlite {
namespace {

TEST(DurabilityTest, AcknowledgedEventsSurviveSigkill) {
  testing::TempDir dir;
  const std::string path = dir.File("ferry.db");
  int64_t project_id = 0;
  {
    auto store = testing::OpenOrDie(path);
    auto p = store->CreateProject("web", "");
    ASSERT_TRUE(p.ok());
    project_id = p->id;
  }
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 10;
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    auto store = OpenSqliteStore(path);
    if (!store.ok()) _exit(2);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<EventRecord> batch;
      for (int i = 0; i < kPerBatch; ++i) {
        int n = b * kPerBatch + i;
        batch.push_back(testing::MakeEvent(project_id, n, "h" + std::to_string(n % 3), n));
      }
      if (!(*store)->SaveEvents(batch).ok()) _exit(3);
    }
    // Acknowledge, then wait to be killed without any chance to close the database.
    char ack = 'y';
    if (write(pipe_fds[1], &ack, 1) != 1) _exit(4);
    while (true) pause();
  }
  close(pipe_fds[1]);
  char ack = 0;
  ASSERT_EQ(read(pipe_fds[0], &ack, 1), 1) << "the child failed before acknowledging";
  close(pipe_fds[0]);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(wstatus));

  auto store = testing::OpenOrDie(path);
  for (int n = 0; n < kBatches * kPerBatch; ++n) {
    auto found = store->FindEvent(project_id, testing::EventId(n));
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->has_value()) << "event " << n << " was lost";
  }
  IssueQuery q;
  q.project_id = project_id;
  auto issues = store->ListIssues(q);
  ASSERT_TRUE(issues.ok());
  int64_t total = 0;
  for (const Issue& i : *issues) total += i.count;
  EXPECT_EQ(total, kBatches * kPerBatch);
}

}  // namespace
}  // namespace ferry::store::sqlite
