#include "store/backup.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/credentials.h"
#include "store/testing/test_util.h"

namespace ferry::store {
namespace {

using testing::MakeEvent;

// Every row of a store, in export order: two stores with equal dumps hold the same data.
std::vector<std::string> ExportAll(Store& store) {
  std::vector<std::string> rows;
  base::Status st = store.Export(false, [&](const BackupRow& row) {
    rows.push_back(row.kind + " " + row.json);
    return base::Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return rows;
}

// What the API sees, through the query interface.
std::string Describe(Store& store) {
  std::ostringstream out;
  auto projects = store.ListProjects();
  EXPECT_TRUE(projects.ok());
  for (const Project& p : *projects) {
    out << "project " << p.id << " " << p.slug << " " << p.name << " " << p.created_ms << "\n";
    for (const ProjectKey& k : p.keys) out << " key " << k.public_key << " " << k.enabled << "\n";
    IssueQuery q;
    q.project_id = p.id;
    q.limit = 1000;
    for (const Issue& i : testing::Get(store.ListIssues(q))) {
      out << " issue " << i.id << " " << i.title << " " << i.count << " "
          << IssueStatusName(i.status) << " " << i.first_seen_ms << " " << i.last_seen_ms << " "
          << i.type << " " << i.metadata_json << " users " << i.user_count << "\n";
      // Not in the backup, rebuilt by restore from the events: must come out the same.
      for (const TagValueCount& t : testing::Get(store.IssueTagValues(i.id, "", 1000))) {
        out << "  tag " << t.key << "=" << t.value << " " << t.count << " " << t.first_seen_ms
            << " " << t.last_seen_ms << "\n";
      }
      for (const StoredEvent& e : testing::Get(store.ListIssueEvents(i.id, 1000, 0))) {
        out << "  event " << e.record.event_id << " " << e.record.payload_json << "\n";
        for (const Attachment& a : testing::Get(store.ListAttachments(p.id, e.record.event_id))) {
          out << "   attachment " << a.filename << " " << a.data.size() << " "
              << std::hash<std::string>()(a.data) << "\n";
        }
      }
      for (auto [day, n] : testing::Get(store.IssueDailyCounts(i.id, 0)))
        out << "  day " << day << " " << n << "\n";
    }
    for (const ItemCount& c : testing::Get(store.ListItemCounts(p.id))) {
      out << " count " << c.category << " " << c.day << " " << c.count << "\n";
    }
  }
  return out.str();
}

class BackupTest : public ::testing::Test {
 protected:
  void Fill(Store& store) {
    auto user = store.CreateUser("admin@example.com", *HashPassword("pw"), true);
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(store.AddToken(user->id, TokenSha256("token")).ok());
    auto web = store.CreateProject("web", "javascript");
    auto api = store.CreateProject("api", "python");
    ASSERT_TRUE(web.ok() && api.ok());
    std::vector<EventRecord> events;
    for (int i = 0; i < 30; ++i) {
      EventRecord e = MakeEvent(i % 2 ? web->id : api->id, i, "h" + std::to_string(i % 4),
                                1000 + i * 86'400'000LL / 3);
      e.tags.emplace_back("level", "error");
      e.tags.emplace_back("user", "id:" + std::to_string(i % 5));
      e.type = "error";
      e.metadata_json = R"({"type":"E","value":")" + std::to_string(i) + "\"}";
      if (i == 3) {
        std::string binary;
        for (int b = 0; b < 256; ++b) binary += static_cast<char>(b);
        e.attachments = {{"dump", "application/octet-stream", "event.minidump", binary, 0}};
      }
      events.push_back(e);
    }
    ASSERT_TRUE(store.SaveEvents(events).ok());
    IssueQuery q;
    q.project_id = web->id;
    ASSERT_TRUE(store.SetIssueStatus(store.ListIssues(q)->front().id, IssueStatus::kIgnored).ok());
    ASSERT_TRUE(store.AddItemCounts({{web->id, "transaction", 5, 11}}).ok());
  }

  testing::TempDir dir_;
};

TEST_F(BackupTest, RestoreIntoAFreshStoreReproducesEveryRow) {
  auto source = testing::OpenOrDie(dir_.File("source.db"));
  Fill(*source);
  std::vector<int64_t> progress;
  const std::string file = dir_.File("backup.jsonl.gz");
  ASSERT_TRUE(WriteBackup(*source, file, false, [&](int64_t n) { progress.push_back(n); }).ok());
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));
  ASSERT_FALSE(progress.empty());

  auto target = testing::OpenOrDie(dir_.File("target.db"));
  ASSERT_TRUE(RestoreBackup(*target, file, false, nullptr).ok());
  EXPECT_EQ(ExportAll(*source), ExportAll(*target));
  EXPECT_EQ(Describe(*source), Describe(*target));
  EXPECT_EQ(progress.back(), static_cast<int64_t>(ExportAll(*source).size()));

  // Ids are kept, so shipped DSNs and tokens keep working, and new rows get fresh ids.
  auto user = target->FindUserByToken(TokenSha256("token"));
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_TRUE(VerifyPassword("pw", (*user)->password_hash));
  auto projects = source->ListProjects();
  auto key = target->FindKey(projects->front().keys.front().public_key);
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_EQ((*key)->project_id, projects->front().id);
  auto next = target->CreateProject("new", "");
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->id, projects->back().id);
}

TEST_F(BackupTest, ConfigOnlyBackupHoldsUsersProjectsAndKeys) {
  auto source = testing::OpenOrDie(dir_.File("source.db"));
  Fill(*source);
  const std::string file = dir_.File("config.jsonl.gz");
  ASSERT_TRUE(WriteBackup(*source, file, true, nullptr).ok());
  auto target = testing::OpenOrDie(dir_.File("target.db"));
  ASSERT_TRUE(RestoreBackup(*target, file, false, nullptr).ok());
  EXPECT_EQ(target->ListProjects()->size(), 2u);
  EXPECT_TRUE(target->FindUserByEmail("admin@example.com")->has_value());
  IssueQuery q;
  q.project_id = target->ListProjects()->front().id;
  EXPECT_TRUE(target->ListIssues(q)->empty());
}

TEST_F(BackupTest, BackupWhileIngestRunsIsAConsistentSnapshot) {
  auto source = testing::OpenOrDie(dir_.File("source.db"));
  auto p = source->CreateProject("web", "");
  ASSERT_TRUE(p.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> saved{0};
  std::thread ingest([&] {
    for (int i = 0; !stop; ++i) {
      std::vector<EventRecord> batch;
      for (int j = 0; j < 5; ++j) {
        int n = i * 5 + j;
        batch.push_back(MakeEvent(p->id, n, "h" + std::to_string(n % 7), n));
      }
      if (source->SaveEvents(batch).ok()) saved += 5;
    }
  });
  while (saved < 200) std::this_thread::yield();
  const std::string file = dir_.File("live.jsonl.gz");
  ASSERT_TRUE(WriteBackup(*source, file, false, nullptr).ok());
  stop = true;
  ingest.join();

  auto target = testing::OpenOrDie(dir_.File("target.db"));
  ASSERT_TRUE(RestoreBackup(*target, file, false, nullptr).ok());
  IssueQuery q;
  q.project_id = p->id;
  int64_t counted = 0;
  int64_t stored = 0;
  for (const Issue& i : testing::Get(target->ListIssues(q))) {
    counted += i.count;
    stored += static_cast<int64_t>(target->ListIssueEvents(i.id, 1000, 0)->size());
    int64_t days = 0;
    for (auto [day, n] : testing::Get(target->IssueDailyCounts(i.id, 0))) days += n;
    EXPECT_EQ(days, i.count);
  }
  EXPECT_EQ(counted, stored);
  EXPECT_GE(stored, 200);
}

void Truncate(const std::string& from, const std::string& to, size_t keep_fraction_of_1000) {
  std::ifstream in(from, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream out(to, std::ios::binary);
  out << bytes.substr(0, bytes.size() * keep_fraction_of_1000 / 1000);
}

void WriteGzipText(const std::string& path, const std::string& text) {
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
}

TEST_F(BackupTest, TruncatedFilesAreRefusedAndTheStoreIsUntouched) {
  auto source = testing::OpenOrDie(dir_.File("source.db"));
  Fill(*source);
  const std::string file = dir_.File("backup.jsonl.gz");
  ASSERT_TRUE(WriteBackup(*source, file, false, nullptr).ok());

  auto target = testing::OpenOrDie(dir_.File("target.db"));
  ASSERT_TRUE(target->CreateProject("precious", "").ok());
  const std::string before = Describe(*target);
  // Cut inside the gzip stream, and just before its 8-byte trailer.
  for (size_t keep : {300, 700, 990}) {
    const std::string cut = dir_.File("cut.gz");
    Truncate(file, cut, keep);
    base::Status st = RestoreBackup(*target, cut, true, nullptr);
    EXPECT_EQ(st.code(), base::Code::kInvalidArgument) << keep;
    EXPECT_NE(st.detail().find("backup is truncated"), std::string::npos) << st.detail();
    EXPECT_EQ(Describe(*target), before);
  }
  // A complete gzip stream whose content lacks the end line, or counts differently.
  const std::string header =
      R"({"format":"ferry-backup","version":1,"created_ms":1,"config_only":true})";
  const std::string row =
      R"({"kind":"project","row":{"id":9,"slug":"x","name":"x","platform":"","created_ms":1}})";
  WriteGzipText(dir_.File("noend.gz"), header + "\n" + row + "\n");
  WriteGzipText(dir_.File("count.gz"), header + "\n" + row + "\n{\"kind\":\"end\",\"rows\":2}\n");
  for (const char* name : {"noend.gz", "count.gz"}) {
    base::Status st = RestoreBackup(*target, dir_.File(name), true, nullptr);
    EXPECT_NE(st.detail().find("backup is truncated"), std::string::npos) << st.detail();
    EXPECT_EQ(Describe(*target), before);
  }
}

TEST_F(BackupTest, ForeignFilesAreNotFerryBackups) {
  auto target = testing::OpenOrDie(dir_.File("target.db"));
  ASSERT_TRUE(target->CreateProject("precious", "").ok());
  const std::string before = Describe(*target);
  std::ofstream(dir_.File("plain.txt")) << "hello world\n";
  WriteGzipText(dir_.File("json.gz"), "{\"format\":\"something-else\",\"version\":1}\n");
  std::string binary(100000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7919 % 251);
  std::ofstream(dir_.File("random.bin"), std::ios::binary) << binary;
  for (const char* name : {"plain.txt", "json.gz", "random.bin"}) {
    base::Status st = RestoreBackup(*target, dir_.File(name), true, nullptr);
    EXPECT_EQ(st.code(), base::Code::kInvalidArgument);
    EXPECT_NE(st.detail().find("is not a ferry backup"), std::string::npos) << st.detail();
  }
  EXPECT_EQ(RestoreBackup(*target, dir_.File("missing"), true, nullptr).code(),
            base::Code::kNotFound);
  WriteGzipText(dir_.File("future.gz"), "{\"format\":\"ferry-backup\",\"version\":2}\n");
  base::Status st = RestoreBackup(*target, dir_.File("future.gz"), true, nullptr);
  EXPECT_NE(st.detail().find("newer"), std::string::npos) << st.detail();
  EXPECT_EQ(Describe(*target), before);
}

TEST_F(BackupTest, NonEmptyStoreNeedsForceAndForceReplacesIt) {
  auto source = testing::OpenOrDie(dir_.File("source.db"));
  Fill(*source);
  const std::string file = dir_.File("backup.jsonl.gz");
  ASSERT_TRUE(WriteBackup(*source, file, false, nullptr).ok());

  auto target = testing::OpenOrDie(dir_.File("target.db"));
  ASSERT_TRUE(target->CreateProject("precious", "").ok());
  base::Status refused = RestoreBackup(*target, file, false, nullptr);
  EXPECT_EQ(refused.code(), base::Code::kInvalidArgument);
  EXPECT_NE(refused.detail().find("not empty"), std::string::npos);
  EXPECT_TRUE(target->FindProjectBySlug("precious")->has_value());

  ASSERT_TRUE(RestoreBackup(*target, file, true, nullptr).ok());
  EXPECT_FALSE(target->FindProjectBySlug("precious")->has_value());
  EXPECT_EQ(ExportAll(*source), ExportAll(*target));
}

}  // namespace
}  // namespace ferry::store
