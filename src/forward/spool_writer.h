// Group commit for the spool: requests on worker threads hand their records to one writer
// thread, which makes everything queued durable in one Spool::Push (one fsync for many
// envelopes). Each request learns its own outcome.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "spool/spool.h"

namespace ferry::forward {

class SpoolWriter {
 public:
  using Done = std::function<void(base::Status)>;

  // `on_pushed` runs on the writer thread after each successful commit (wakes the drainer).
  SpoolWriter(spool::Spool& spool, std::function<void()> on_pushed,
              size_t max_batch_bytes = 8 << 20);
  ~SpoolWriter();  // Stop()

  // Queues `records` (the copies of one envelope, kept all-or-none); `done` runs on the writer
  // thread once they are durable, or with the error (kUnavailable "spool is full", disk full).
  void Push(std::vector<spool::SpoolRecord> records, Done done);
  // Writes what is queued, then stops the thread.
  void Stop();

 private:
  struct Pending {
    std::vector<spool::SpoolRecord> records;
    Done done;
    size_t bytes = 0;
  };
  void Run();
  void Write(std::vector<Pending>& batch);

  spool::Spool& spool_;
  std::function<void()> on_pushed_;
  const size_t max_batch_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::forward
