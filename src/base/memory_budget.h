// A process-wide budget for the memory that request bodies hold while they are in flight: the
// bytes as read from clients and what decoding them produced. Every holder takes a
// MemoryLease; the lease grows as its buffers grow and gives everything back when it is
// destroyed. A lease that cannot grow means "not now": the caller answers 503 (or waits), so
// that many large requests at once never add up to an out-of-memory.
//
// Thread-safe: one budget is shared by every I/O and worker thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry::base {

class MemoryBudget {
 public:
  // `limit` 0 means unlimited (only counted).
  explicit MemoryBudget(uint64_t limit) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `n` bytes when they fit under the limit; false (and a counted refusal) otherwise.
  bool TryAcquire(uint64_t n);
  void Release(uint64_t n) { in_flight_.fetch_sub(n, std::memory_order_relaxed); }

  uint64_t limit() const { return limit_; }
  uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  // Bytes ever acquired: tells an idle-time trimmer whether anything happened since its last
  // look.
  uint64_t acquired_total() const { return acquired_total_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> in_flight_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> acquired_total_{0};
};

// What one request holds of a MemoryBudget. Move-only; releases on destruction. A lease
// without a budget (default-constructed) always grows: for tests and tools.
class MemoryLease {
 public:
  MemoryLease() = default;
  explicit MemoryLease(MemoryBudget* budget) : budget_(budget) {}
  MemoryLease(MemoryLease&& other) noexcept;
  MemoryLease& operator=(MemoryLease&& other) noexcept;
  ~MemoryLease() { Reset(); }

  // Makes the lease hold at least `total` bytes. False when the budget cannot give the
  // difference; the lease then keeps what it held.
  bool GrowTo(uint64_t total);
  // Adds `n` bytes to what is held. False when the budget cannot give them.
  bool Add(uint64_t n) { return GrowTo(held_ + n); }
  // Gives back everything.
  void Reset();
  // Takes over what `other` holds. REQUIRES: both leases are of the same budget.
  void Absorb(MemoryLease&& other);

  uint64_t held() const { return held_; }
  MemoryBudget* budget() const { return budget_; }

 private:
  MemoryBudget* budget_ = nullptr;
  uint64_t held_ = 0;
};

}  // namespace ferry::base
