#include "store/event_writer.h"

#include <utility>

#include "base/log.h"

namespace ferry::store {

EventWriter::EventWriter(Store& store, EventWriterOptions options)
    : store_(store), options_(options), thread_([this] { Run(); }) {}

EventWriter::~EventWriter() { Stop(); }

size_t EventWriter::RecordBytes(const EventRecord& r) {
  size_t n = sizeof(EventRecord) + r.event_id.size() + r.level.size() + r.platform.size() +
             r.release.size() + r.environment.size() + r.message.size() + r.title.size() +
             r.culprit.size() + r.grouping_hash.size() + r.grouping_method.size() +
             r.payload_json.size() + r.payload_compressed.size();
  for (const auto& c : r.grouping_components) n += c.size();
  for (const auto& [k, v] : r.tags) n += k.size() + v.size();
  for (const auto& a : r.attachments) {
    n += a.filename.size() + a.content_type.size() + a.attachment_type.size() + a.data.size();
  }
  return n;
}

void EventWriter::Submit(EventRecord record, Done done) {
  size_t bytes = RecordBytes(record);
  std::unique_lock lock(mu_);
  if (stopping_) {
    ++stats_.rejected;
    lock.unlock();
    done(base::Unavailable("store is shutting down"));
    return;
  }
  if (queued_bytes_ + bytes > options_.max_queue_bytes) {
    ++stats_.rejected;
    lock.unlock();
    done(base::Unavailable("store is busy"));
    return;
  }
  queued_bytes_ += bytes;
  queue_.push_back(Pending{std::move(record), std::move(done), bytes});
  lock.unlock();
  cv_.notify_one();
}

void EventWriter::SubmitCounts(std::vector<ItemCount> counts) {
  {
    std::lock_guard lock(mu_);
    for (ItemCount& c : counts) {
      counts_[{c.project_id, std::move(c.category), c.day}] += c.count;
    }
  }
  cv_.notify_one();
}

void EventWriter::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

EventWriterStats EventWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void EventWriter::Run() {
  std::vector<Pending> batch;
  while (true) {
    std::vector<ItemCount> counts;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || !counts_.empty(); });
      if (stopping_ && queue_.empty() && counts_.empty()) return;
      size_t bytes = 0;
      while (!queue_.empty() && batch.size() < options_.max_batch_records &&
             (batch.empty() || bytes + queue_.front().bytes <= options_.max_batch_bytes)) {
        bytes += queue_.front().bytes;
        queued_bytes_ -= queue_.front().bytes;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      for (auto& [key, n] : counts_) {
        counts.push_back(ItemCount{std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
      }
      counts_.clear();
    }
    if (!batch.empty()) WriteBatch(batch);
    if (!counts.empty()) WriteCounts(counts);
    batch.clear();
  }
}

void EventWriter::WriteBatch(std::vector<Pending>& batch) {
  std::vector<EventRecord> records;
  records.reserve(batch.size());
  for (Pending& p : batch) records.push_back(std::move(p.record));
  auto results = store_.SaveEvents(records);
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
    stats_.events += static_cast<int64_t>(batch.size());
    stats_.largest_batch = std::max<int64_t>(stats_.largest_batch, batch.size());
    if (!results.ok()) stats_.failed += static_cast<int64_t>(batch.size());
  }
  if (!results.ok()) {
    base::Log(base::LogLevel::kError, "store_write_failed",
              {{"events", batch.size()}, {"error", results.status().ToString()}});
    for (Pending& p : batch) p.done(results.status());
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done((*results)[i]);
}

void EventWriter::WriteCounts(const std::vector<ItemCount>& counts) {
  base::Status st = store_.AddItemCounts(counts);
  if (!st.ok()) {
    base::Log(base::LogLevel::kError, "store_counts_dropped",
              {{"rows", counts.size()}, {"error", st.ToString()}});
  }
}

}  // namespace ferry::store
