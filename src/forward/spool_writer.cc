#include "forward/spool_writer.h"

namespace ferry::forward {

SpoolWriter::SpoolWriter(spool::Spool& spool, std::function<void()> on_pushed,
                         size_t max_batch_bytes)
    : spool_(spool), on_pushed_(std::move(on_pushed)), max_batch_bytes_(max_batch_bytes) {
  thread_ = std::thread([this] { Run(); });
}

SpoolWriter::~SpoolWriter() { Stop(); }

void SpoolWriter::Push(std::vector<spool::SpoolRecord> records, Done done) {
  size_t bytes = 0;
  for (const auto& r : records) bytes += r.meta.size() + r.body.size();
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back({std::move(records), std::move(done), bytes});
      cv_.notify_one();
      return;
    }
  }
  done(base::Unavailable("the spool is shutting down"));
}

void SpoolWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void SpoolWriter::Run() {
  while (true) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything was written
      size_t bytes = 0;
      while (!queue_.empty() &&
             (batch.empty() || bytes + queue_.front().bytes <= max_batch_bytes_)) {
        bytes += queue_.front().bytes;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Write(batch);
  }
}

void SpoolWriter::Write(std::vector<Pending>& batch) {
  std::vector<spool::SpoolRecord> all;
  for (auto& p : batch) {
    for (auto& r : p.records) all.push_back(r);
  }
  base::Status st = spool_.Push(all);
  if (st.ok()) {
    on_pushed_();
    for (auto& p : batch) p.done(base::Status::Ok());
    return;
  }
  if (batch.size() == 1) {
    batch.front().done(st);
    return;
  }
  // The batch as a whole did not fit (or failed): each request gets its own attempt, so the
  // ones that fit are kept and only the others are refused.
  bool any = false;
  for (auto& p : batch) {
    base::Status one = spool_.Push(p.records);
    any = any || one.ok();
    p.done(one);
  }
  if (any) on_pushed_();
}

}  // namespace ferry::forward
