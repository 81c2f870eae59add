// Micro-benchmark of the store's write path: SaveEvents with batches as the group-commit writer
// forms them under load (32 events, spread over 100 issues, each with a new event id), per
// payload size. synchronous=FULL as in production, so on a real disk the time includes the
// fsync of every commit; run it under callgrind to count the CPU work alone.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace {

using namespace ferry;

constexpr int kIssues = 100;
constexpr size_t kBatch = 32;

store::EventRecord Record(int64_t project_id, uint64_t n, const std::string& payload) {
  store::EventRecord r;
  r.project_id = project_id;
  char id[40];
  std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(n * 2654435761u),
                static_cast<unsigned long long>(n));
  r.event_id = id;
  int site = static_cast<int>(n % kIssues);
  r.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  r.received_ms = r.timestamp_ms;
  r.level = "error";
  r.platform = "python";
  r.release = "1.0." + std::to_string(site);
  r.message = "";
  r.title = "ValueError" + std::to_string(site) + ": bad value " + std::to_string(n);
  r.culprit = "app.site" + std::to_string(site) + " in handler" + std::to_string(site);
  r.grouping_hash = std::string(24, 'a') + std::to_string(100000000 + site);
  r.grouping_method = "stacktrace";
  r.grouping_components = {"type:ValueError" + std::to_string(site), "frame:app.views.dispatch",
                           "frame:app.site" + std::to_string(site) + ".handler"};
  r.payload_json = payload;
  return r;
}

void BM_SaveEvents(benchmark::State& state) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ferry-store-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  // WAL_PAGES overrides the store's checkpoint interval, to compare settings.
  store::sqlite::SqliteOptions options;
  if (const char* v = std::getenv("WAL_PAGES")) options.wal_autocheckpoint_pages = std::atoi(v);
  auto opened = store::sqlite::OpenSqliteStore((dir / "ferry.db").string(), options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  auto& st = **opened;
  auto project = st.CreateProject("bench", "python");
  const std::string payload(static_cast<size_t>(state.range(0)), 'x');
  uint64_t n = 0;
  for (auto _ : state) {
    std::vector<store::EventRecord> batch;
    batch.reserve(kBatch);
    for (size_t i = 0; i < kBatch; ++i) batch.push_back(Record(project->id, n++, payload));
    auto saved = st.SaveEvents(batch);
    if (!saved.ok()) state.SkipWithError(saved.status().ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  opened->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SaveEvents)->Arg(5000)->Arg(50000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
