#include "store/retention.h"

#include <algorithm>

#include "base/log.h"

namespace ferry::store {

RetentionSweeper::RetentionSweeper(Store& store, const base::Clock& clock, int retention_days,
                                   RetentionOptions options)
    : store_(store), clock_(clock), retention_days_(retention_days), options_(options) {}

RetentionSweeper::~RetentionSweeper() { Stop(); }

void RetentionSweeper::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void RetentionSweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RetentionSweeper::Wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

base::Result<int64_t> RetentionSweeper::RunOnce() {
  if (retention_days_ <= 0) return int64_t{0};
  const auto now = clock_.Now();
  const int64_t cutoff_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                (now - std::chrono::hours(24) * retention_days_).time_since_epoch())
                                .count();
  int64_t total = 0;
  while (true) {
    auto deleted = store_.DeleteEventsBefore(cutoff_ms, options_.batch_size);
    if (!deleted.ok()) {
      base::Log(base::LogLevel::kError, "retention_failed",
                {{"deleted", total}, {"error", deleted.status().ToString()}});
      return deleted.status();
    }
    total += *deleted;
    {
      std::lock_guard lock(mu_);
      stats_.expired += *deleted;
    }
    if (*deleted == 0) break;
    // The pause lets the ingest writer take the lock between two deletion batches.
    if (options_.pause.count() > 0 && !Wait(options_.pause)) break;
  }
  if (total > 0) {
    base::Log(base::LogLevel::kInfo, "retention_swept",
              {{"deleted", total}, {"retention_days", retention_days_}});
  }
  return total;
}

base::Result<int64_t> RetentionSweeper::EnforceCap() {
  const int64_t keep = options_.max_events_per_project;
  if (keep <= 0) return int64_t{0};
  auto projects = store_.ListProjects();
  if (!projects.ok()) return projects.status();
  int64_t total = 0;
  for (const Project& project : *projects) {
    int64_t trimmed = 0;
    while (true) {
      auto deleted = store_.TrimProjectEvents(project.id, keep, options_.batch_size);
      if (!deleted.ok()) {
        // The next project may still be trimmed; this one is tried again next round.
        base::Log(base::LogLevel::kError, "event_cap_failed",
                  {{"project", project.slug}, {"error", deleted.status().ToString()}});
        break;
      }
      trimmed += *deleted;
      {
        std::lock_guard lock(mu_);
        stats_.capped += *deleted;
      }
      if (*deleted == 0) break;
      if (options_.pause.count() > 0 && !Wait(options_.pause)) return total + trimmed;
    }
    if (trimmed > 0) {
      base::Log(base::LogLevel::kWarn, "event_cap_reached",
                {{"project", project.slug}, {"deleted", trimmed}, {"max_events", keep}});
    }
    total += trimmed;
  }
  return total;
}

RetentionStats RetentionSweeper::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void RetentionSweeper::Loop() {
  // Errors are logged where they happen; the next round tries again.
  const bool capped = options_.max_events_per_project > 0;
  const auto tick = capped ? std::min(options_.cap_interval, options_.interval) : options_.interval;
  auto next_sweep = std::chrono::steady_clock::now();
  do {
    if (std::chrono::steady_clock::now() >= next_sweep) {
      (void)RunOnce();
      next_sweep = std::chrono::steady_clock::now() + options_.interval;
    }
    if (capped) (void)EnforceCap();
  } while (Wait(tick));
}

}  // namespace ferry::store
