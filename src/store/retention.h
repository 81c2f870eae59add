// RetentionSweeper: deletes events older than `retention_days` (by the time they were
// received), in small batches so that ingest never waits long for the write lock; the store
// drops issues left without events. It also enforces the optional per-project event cap,
// checked every few seconds, so a crash loop fills the disk only by what arrives between two
// checks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace ferry::store {

struct RetentionOptions {
  std::chrono::milliseconds interval = std::chrono::minutes(10);     // between sweeps
  int batch_size = 500;                                              // events per transaction
  std::chrono::milliseconds pause = std::chrono::milliseconds(20);   // between batches
  int64_t max_events_per_project = 0;                                // 0 = no cap
  std::chrono::milliseconds cap_interval = std::chrono::seconds(5);  // between cap checks
};

struct RetentionStats {
  int64_t expired = 0;  // events deleted for their age
  int64_t capped = 0;   // events deleted by the per-project cap
};

class RetentionSweeper {
 public:
  // `retention_days` <= 0 keeps events forever (sweeps do nothing). `store` and `clock` must
  // outlive the sweeper.
  RetentionSweeper(Store& store, const base::Clock& clock, int retention_days,
                   RetentionOptions options = {});
  ~RetentionSweeper();  // Stop()
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // Starts the background thread: a sweep at once, then one every `interval`.
  void Start();
  // Interrupts the wait (or the pause between batches) and joins.
  void Stop();

  // One sweep on the calling thread: batches until none is left. Returns the events deleted.
  base::Result<int64_t> RunOnce();
  // One pass of the per-project cap over every project. Returns the events deleted.
  base::Result<int64_t> EnforceCap();

  RetentionStats stats() const;

 private:
  void Loop();
  // Sleeps up to `d`; false when Stop() was called.
  bool Wait(std::chrono::milliseconds d);

  Store& store_;
  const base::Clock& clock_;
  const int retention_days_;
  const RetentionOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  RetentionStats stats_;   // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ferry::store
