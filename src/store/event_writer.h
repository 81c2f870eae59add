// EventWriter: the single writer of ingested events, with group commit.
//
// Request handlers Submit() records from any thread and get an answer through `done`; a
// dedicated thread takes everything queued (up to a batch limit), stores it with ONE
// Store::SaveEvents call — one transaction, one fsync — and then calls every `done` of the
// batch. Under load, batches grow and the fsync cost is shared; when idle, a lone event is
// written at once. The queue is bounded in bytes: past the bound Submit answers Unavailable at
// once so the server can send 503 instead of buffering without limit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace ferry::store {

struct EventWriterOptions {
  size_t max_batch_records = 256;             // records per SaveEvents call
  size_t max_batch_bytes = 8 * 1024 * 1024;   // approximate record bytes per SaveEvents call
  size_t max_queue_bytes = 64 * 1024 * 1024;  // queued, not yet written; above it: Unavailable
};

struct EventWriterStats {
  int64_t batches = 0;        // SaveEvents calls
  int64_t events = 0;         // records handed to SaveEvents
  int64_t largest_batch = 0;  // records in the largest batch so far
  int64_t rejected = 0;       // Submits answered Unavailable
  int64_t failed = 0;         // records whose batch failed
};

class EventWriter {
 public:
  using Done = std::function<void(base::Result<SaveResult>)>;

  // Starts the writer thread. `store` must outlive the writer.
  EventWriter(Store& store, EventWriterOptions options = {});
  ~EventWriter();  // Stop()
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Queues `record`; `done` runs exactly once: on the writer thread with the outcome, or on the
  // calling thread with kUnavailable when the queue is full or the writer has stopped.
  void Submit(EventRecord record, Done done);
  // Adds to the per-(project, category, day) counters written with the next batch. Counts are
  // summed in memory first, so they take little queue space; they are dropped (and logged)
  // only when the store fails.
  void SubmitCounts(std::vector<ItemCount> counts);

  // Writes everything queued, then stops the thread. Later Submits are answered Unavailable.
  void Stop();

  EventWriterStats stats() const;

  // The bytes a record is accounted for in the queue.
  static size_t RecordBytes(const EventRecord& record);

 private:
  struct Pending {
    EventRecord record;
    Done done;
    size_t bytes;
  };

  void Run();
  void WriteBatch(std::vector<Pending>& batch);
  void WriteCounts(const std::vector<ItemCount>& counts);

  Store& store_;
  const EventWriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;                                            // GUARDED_BY(mu_)
  size_t queued_bytes_ = 0;                                              // GUARDED_BY(mu_)
  std::map<std::tuple<int64_t, std::string, int64_t>, int64_t> counts_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                                                // GUARDED_BY(mu_)
  EventWriterStats stats_;                                               // GUARDED_BY(mu_)

  std::mutex stop_mu_;  // serializes Stop() callers
  std::thread thread_;
};

}  // namespace ferry::store
