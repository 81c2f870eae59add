#include "server/spool_status.h"

#include <fmt/format.h>

#include <chrono>

#include "base/strings.h"

namespace ferry::server {

std::string SpoolStatusJson(const spool::SpoolStats& stats,
                            const std::vector<forward::QueueState>& states, uint64_t max_bytes) {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto age = [now_ms](int64_t oldest) { return oldest == 0 ? 0 : (now_ms - oldest) / 1000; };
  std::string out = fmt::format(
      "{{\"entries\":{},\"bytes\":{},\"max_bytes\":{},\"oldest_age_s\":{},\"queues\":{{",
      stats.entries, stats.bytes, max_bytes, age(stats.oldest_ms));
  bool first = true;
  for (const auto& [name, q] : stats.queues) {
    forward::QueueState state;
    for (const auto& s : states) {
      if (s.queue == name) state = s;
    }
    out += fmt::format(
        "{}{}:{{\"entries\":{},\"bytes\":{},\"oldest_age_s\":{},\"failures\":{},"
        "\"in_flight\":{},\"probing\":{},\"retry_in_ms\":{}}}",
        first ? "" : ",", base::JsonQuote(name), q.entries, q.bytes, age(q.oldest_ms),
        state.failures, state.in_flight, state.probing ? "true" : "false", state.retry_in_ms);
    first = false;
  }
  return out + "}}";
}

}  // namespace ferry::server
