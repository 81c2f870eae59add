// The spool: a durable FIFO of envelopes waiting for delivery to an upstream, so that nothing
// answered 200 is lost while an upstream is down, slow or being recreated.
//
// The interface is deliberately tiny: push, take a batch, acknowledge (or release for a later
// try). Entries are grouped by `queue` (one per upstream target) and kept oldest first within
// each queue. Implementations: SqliteSpool (sqlite_spool.h) on disk; MemorySpool
// (memory_spool.h) for tests. The on-disk format and recovery rules are in docs/spool.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace ferry::spool {

struct SpoolRecord {
  std::string queue;  // the upstream target, e.g. "https://sentry.example.com:443"
  std::string meta;   // what the drainer needs to deliver it (opaque to the spool)
  std::string body;   // the envelope bytes, header already rewritten
};

struct SpoolEntry {
  uint64_t id = 0;          // increasing in push order; unique for the spool's lifetime
  int64_t enqueued_ms = 0;  // when it was pushed (Unix milliseconds)
  SpoolRecord record;
};

struct QueueStats {
  int64_t entries = 0;
  int64_t bytes = 0;
  int64_t oldest_ms = 0;  // enqueued_ms of the oldest entry; 0 when empty
};

struct SpoolStats {
  int64_t entries = 0;
  int64_t bytes = 0;      // meta + body bytes of every entry
  int64_t oldest_ms = 0;  // 0 when empty
  std::map<std::string, QueueStats> queues;
};

class Spool {
 public:
  virtual ~Spool() = default;

  // Appends `records` atomically (all or none: the copies of one fanned-out envelope) and
  // makes them durable before returning OK. Errors: kUnavailable "spool is full" when the
  // total would pass the configured max_bytes (nothing is written), kUnavailable on an I/O
  // failure such as a full disk (nothing is written).
  virtual base::Status Push(const std::vector<SpoolRecord>& records) = 0;

  // Up to `max` of the oldest entries of `queue` that are not already taken, marked taken.
  // A taken entry stays durable until Ack; Release makes it available again. After a restart
  // every unacknowledged entry is available again.
  virtual base::Result<std::vector<SpoolEntry>> Take(const std::string& queue, size_t max) = 0;

  // Removes delivered (or deliberately dropped) entries for good.
  virtual base::Status Ack(const std::vector<uint64_t>& ids) = 0;

  // Makes taken entries available again (a failed attempt), keeping their place in the queue.
  virtual void Release(const std::vector<uint64_t>& ids) = 0;

  // Removes entries enqueued before `cutoff_ms` (expired) and returns how many, by queue.
  virtual base::Result<std::map<std::string, int64_t>> DropOlderThan(int64_t cutoff_ms) = 0;

  // Queues that hold entries, and totals.
  virtual base::Result<SpoolStats> Stats() = 0;

  // True when `bytes` more would not fit (for readiness checks and early 503s).
  virtual bool WouldOverflow(int64_t bytes) = 0;
};

}  // namespace ferry::spool
