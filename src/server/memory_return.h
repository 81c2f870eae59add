// Gives memory back to the system after bursts. glibc keeps freed memory in its arenas, and
// after a large block is freed it raises its mmap threshold so that the next ones come from
// the arenas too: a burst of big bodies would leave the process at its peak for good. So the
// threshold is fixed at start (blocks of kMmapThreshold and more are mapped, and unmapped when
// freed), and once the request bodies in flight are all gone after some activity, malloc_trim
// returns what the arenas hold free.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "base/memory_budget.h"
#include "server/workers.h"

namespace ferry::server {

class MemoryReturn {
 public:
  static constexpr size_t kMmapThreshold = 1 << 20;
  static constexpr std::chrono::seconds kInterval{5};

  // Sets the allocator's thresholds. Call once, before serving.
  static void ConfigureAllocator();

  // Looks every kInterval at `budget`; the trim itself runs on a heavy worker.
  MemoryReturn(boost::asio::io_context& ioc, const base::MemoryBudget& budget, Workers& workers);
  void Start();
  void Stop();
  uint64_t trims() const { return trims_; }

 private:
  void Schedule();

  boost::asio::steady_timer timer_;
  const base::MemoryBudget& budget_;
  Workers& workers_;
  uint64_t seen_acquired_ = 0;  // on the timer's handler only
  std::atomic<uint64_t> trims_{0};
};

}  // namespace ferry::server
