#include "spool/memory_spool.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace ferry::spool {
namespace {

int64_t SizeOf(const SpoolRecord& r) { return static_cast<int64_t>(r.meta.size() + r.body.size()); }

}  // namespace

MemorySpool::MemorySpool(int64_t max_bytes, const base::Clock* clock)
    : max_bytes_(max_bytes), clock_(clock != nullptr ? clock : &base::RealClock()) {}

void MemorySpool::FailPushes(std::optional<base::Status> status) {
  std::lock_guard lock(mu_);
  push_error_ = std::move(status);
}

base::Status MemorySpool::Push(const std::vector<SpoolRecord>& records) {
  int64_t added = 0;
  for (const SpoolRecord& r : records) added += SizeOf(r);
  std::lock_guard lock(mu_);
  if (push_error_) return *push_error_;
  if (records.empty()) return base::Status::Ok();
  if (bytes_ + added > max_bytes_) return base::Unavailable("spool is full");
  // Never decreasing in id order, as in SqliteSpool.
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now().time_since_epoch())
          .count();
  last_enqueued_ms_ = std::max(now_ms, last_enqueued_ms_);
  for (const SpoolRecord& r : records) {
    uint64_t id = next_id_++;
    Item item;
    item.entry = SpoolEntry{id, last_enqueued_ms_, r};
    queues_[r.queue].emplace(id, std::move(item));
    queue_of_.emplace(id, r.queue);
  }
  bytes_ += added;
  return base::Status::Ok();
}

base::Result<std::vector<SpoolEntry>> MemorySpool::Take(const std::string& queue, size_t max) {
  std::vector<SpoolEntry> out;
  std::lock_guard lock(mu_);
  auto q = queues_.find(queue);
  if (q == queues_.end()) return out;
  for (auto& [id, item] : q->second) {
    if (out.size() >= max) break;
    if (item.taken) continue;
    item.taken = true;
    out.push_back(item.entry);
  }
  return out;
}

base::Status MemorySpool::Ack(const std::vector<uint64_t>& ids) {
  std::lock_guard lock(mu_);
  for (uint64_t id : ids) {
    auto where = queue_of_.find(id);
    if (where == queue_of_.end()) continue;
    auto& items = queues_[where->second];
    auto it = items.find(id);
    bytes_ -= SizeOf(it->second.entry.record);
    items.erase(it);
    if (items.empty()) queues_.erase(where->second);
    queue_of_.erase(where);
  }
  return base::Status::Ok();
}

void MemorySpool::Release(const std::vector<uint64_t>& ids) {
  std::lock_guard lock(mu_);
  for (uint64_t id : ids) {
    auto where = queue_of_.find(id);
    if (where == queue_of_.end()) continue;
    queues_[where->second][id].taken = false;
  }
}

base::Result<std::map<std::string, int64_t>> MemorySpool::DropOlderThan(int64_t cutoff_ms) {
  std::map<std::string, int64_t> dropped;
  std::lock_guard lock(mu_);
  for (auto q = queues_.begin(); q != queues_.end();) {
    auto& items = q->second;
    for (auto it = items.begin(); it != items.end();) {
      if (it->second.entry.enqueued_ms >= cutoff_ms) {
        ++it;
        continue;
      }
      bytes_ -= SizeOf(it->second.entry.record);
      queue_of_.erase(it->first);
      dropped[q->first] += 1;
      it = items.erase(it);
    }
    q = items.empty() ? queues_.erase(q) : std::next(q);
  }
  return dropped;
}

base::Result<SpoolStats> MemorySpool::Stats() {
  SpoolStats stats;
  std::lock_guard lock(mu_);
  for (const auto& [name, items] : queues_) {
    QueueStats qs;
    qs.oldest_ms = items.begin()->second.entry.enqueued_ms;
    for (const auto& [id, item] : items) {
      qs.entries += 1;
      qs.bytes += SizeOf(item.entry.record);
    }
    stats.entries += qs.entries;
    stats.bytes += qs.bytes;
    if (stats.oldest_ms == 0 || qs.oldest_ms < stats.oldest_ms) stats.oldest_ms = qs.oldest_ms;
    stats.queues[name] = qs;
  }
  return stats;
}

bool MemorySpool::WouldOverflow(int64_t bytes) {
  std::lock_guard lock(mu_);
  return bytes_ + bytes > max_bytes_;
}

}  // namespace ferry::spool
