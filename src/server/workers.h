// The worker threads for what must not run on the I/O threads: decoding bodies, normalizing
// events, SQL. Two pools, so that big bodies can never occupy every worker while small
// requests wait: every job starts on a light worker with its decoding cut short at
// kLightBodyBytes; a body that turns out bigger (or is that big on the wire) is done again, or
// at once, on a heavy worker, of which there are fewer.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>

namespace ferry::server {

class Workers {
 public:
  // Bodies up to this size (on the wire and decoded) are light.
  static constexpr uint64_t kLightBodyBytes = 1 << 20;

  // `threads` light workers and max(1, threads / 2) heavy ones.
  explicit Workers(int threads);

  boost::asio::thread_pool& light() { return light_; }

  // A job that decodes a body of `wire_bytes` bounded by `max_decoded`. It is run as
  // job(limit, last): on a light worker with limit = min(max_decoded, kLightBodyBytes) unless
  // the body is heavy on the wire; when it returns false (the body needed more than `limit`
  // and `last` was false), it runs again on a heavy worker with limit = max_decoded and
  // last = true.
  using BodyJob = std::function<bool(uint64_t limit, bool last)>;
  void RunBodyJob(uint64_t wire_bytes, uint64_t max_decoded, BodyJob job);

  // Runs `job` on a heavy worker: for housekeeping that may take a while.
  void PostHeavy(std::function<void()> job);

  // Waits for every queued job. Call once, at shutdown.
  void Join();

 private:
  boost::asio::thread_pool light_;
  boost::asio::thread_pool heavy_;
};

}  // namespace ferry::server
