#include "server/memory_return.h"

#include <malloc.h>

namespace ferry::server {

void MemoryReturn::ConfigureAllocator() {
  // Setting either threshold turns glibc's dynamic adjustment off.
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMmapThreshold));
}

MemoryReturn::MemoryReturn(boost::asio::io_context& ioc, const base::MemoryBudget& budget,
                           Workers& workers)
    : timer_(ioc), budget_(budget), workers_(workers) {}

void MemoryReturn::Start() {
  seen_acquired_ = budget_.acquired_total();
  Schedule();
}

void MemoryReturn::Stop() { timer_.cancel(); }

void MemoryReturn::Schedule() {
  timer_.expires_after(kInterval);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Trim once the bodies of a burst are gone (small requests keep a little in flight, so
    // "gone" is under one mapped block), and only when there was a burst since the last trim.
    const uint64_t acquired = budget_.acquired_total();
    if (acquired - seen_acquired_ >= kMmapThreshold && budget_.in_flight() < kMmapThreshold) {
      seen_acquired_ = acquired;
      workers_.PostHeavy([this] {
        malloc_trim(0);
        trims_.fetch_add(1, std::memory_order_relaxed);
      });
    }
    Schedule();
  });
}

}  // namespace ferry::server
