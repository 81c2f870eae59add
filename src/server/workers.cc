#include "server/workers.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <memory>

namespace ferry::server {

Workers::Workers(int threads) : light_(std::max(1, threads)), heavy_(std::max(1, threads / 2)) {}

void Workers::RunBodyJob(uint64_t wire_bytes, uint64_t max_decoded, BodyJob job) {
  if (wire_bytes > kLightBodyBytes || max_decoded <= kLightBodyBytes) {
    auto& pool = wire_bytes > kLightBodyBytes ? heavy_ : light_;
    boost::asio::post(pool, [job = std::move(job), max_decoded] { job(max_decoded, true); });
    return;
  }
  boost::asio::post(light_, [this, job = std::move(job), max_decoded]() mutable {
    if (job(kLightBodyBytes, false)) return;
    boost::asio::post(heavy_, [job = std::move(job), max_decoded] { job(max_decoded, true); });
  });
}

void Workers::PostHeavy(std::function<void()> job) { boost::asio::post(heavy_, std::move(job)); }

void Workers::Join() {
  light_.join();
  heavy_.join();
}

}  // namespace ferry::server
