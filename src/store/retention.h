// RetentionSweeper: deletes events older than `retention_days` (by the time they were
// received), in small batches so that ingest never waits long for the write lock; the store
// drops issues left without events.
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
  std::chrono::milliseconds interval = std::chrono::minutes(10);    // between sweeps
  int batch_size = 500;                                             // events per transaction
  std::chrono::milliseconds pause = std::chrono::milliseconds(20);  // between batches
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

 private:
  void Loop();
  // Sleeps up to `d`; false when Stop() was called.
  bool Wait(std::chrono::milliseconds d);

  Store& store_;
  const base::Clock& clock_;
  const int retention_days_;
  const RetentionOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ferry::store
