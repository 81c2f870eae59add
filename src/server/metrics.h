// Counters and a latency histogram, rendered in the Prometheus text format at /metrics.
// Thread-safe; recording takes one short lock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ferry::server {

class Metrics {
 public:
  Metrics();

  void CountRequest(std::string_view route, unsigned status, std::chrono::nanoseconds latency,
                    uint64_t bytes_in, uint64_t bytes_out);
  // One envelope copy sent upstream; status is the upstream's, or 502/504 for failures.
  void CountForward(std::string_view upstream, unsigned status);
  void CountRejected(std::string_view reason);
  // A compressed body refused because it decoded past its bound (tunnel or ingest).
  void CountBomb() { bombs_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t bombs() const { return bombs_.load(std::memory_order_relaxed); }
  // Durable delivery: a failed attempt that will be retried, and copies given up for good.
  void CountRetry(std::string_view upstream, std::string_view reason);
  void CountDropped(std::string_view upstream, std::string_view reason, uint64_t n);
  // An item offered to the built-in store: category ("event", "transaction", ...) and outcome
  // ("stored", "duplicate", "accepted", or why it was refused).
  void CountItem(std::string_view category, std::string_view outcome);
  // A value read when rendering (e.g. open connections).
  void AddGauge(std::string name, std::string help, std::function<double()> read);
  // A running total kept elsewhere (e.g. by a background thread), read when rendering.
  void AddCounter(std::string name, std::string help, std::function<double()> read);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts are computed when rendering
    double sum = 0;
    uint64_t count = 0;
  };
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
    const char* type;  // "gauge" | "counter"
  };

  mutable std::mutex mu_;
  std::map<std::pair<std::string, unsigned>, uint64_t> requests_;    // (route, status)
  std::map<std::string, Histogram> latency_;                         // by route
  std::map<std::pair<std::string, unsigned>, uint64_t> forwarded_;   // (upstream, status)
  std::map<std::string, uint64_t> rejected_;                         // by reason
  std::map<std::pair<std::string, std::string>, uint64_t> items_;    // (category, outcome)
  std::map<std::pair<std::string, std::string>, uint64_t> retries_;  // (upstream, reason)
  std::map<std::pair<std::string, std::string>, uint64_t> dropped_;  // (upstream, reason)
  std::atomic<uint64_t> bombs_{0};
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  std::vector<Gauge> gauges_;
};

}  // namespace ferry::server
