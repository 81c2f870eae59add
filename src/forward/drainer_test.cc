#include "forward/drainer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "spool/memory_spool.h"

namespace ferry::forward {
namespace {

using namespace std::chrono_literals;

// Answers each request with the next scripted outcome (then 200s), synchronously, and records
// the bodies in the order they were sent.
class ScriptedClient final : public UpstreamClient {
 public:
  void Send(const Endpoint&, OutgoingRequest request, ResponseCallback done) override {
    base::Result<UpstreamResponse> r = UpstreamResponse{200, "{}", "", "", ""};
    {
      std::lock_guard lock(mu);
      bodies.push_back(*request.body);
      in_flight_max = std::max(in_flight_max, 1);
      if (!script.empty()) {
        r = std::move(script.front());
        script.pop_front();
      }
    }
    done(std::move(r));
  }
  std::mutex mu;
  std::deque<base::Result<UpstreamResponse>> script;
  std::vector<std::string> bodies;
  int in_flight_max = 0;
};

UpstreamResponse Answer(unsigned status, std::string rate_limits = "", std::string retry = "") {
  return UpstreamResponse{status, "", "", std::move(retry), std::move(rate_limits)};
}

struct Fixture {
  spool::MemorySpool spool;
  ScriptedClient client;
  RateLimitCache limits;
  std::atomic<int> delivered{0}, retried{0}, dropped{0};
  std::unique_ptr<Drainer> drainer;

  explicit Fixture(DrainerOptions options = Fast()) {
    DrainerEvents events;
    events.delivered = [this](const std::string&, unsigned) { ++delivered; };
    events.retried = [this](const std::string&, const std::string&) { ++retried; };
    events.dropped = [this](const std::string&, const std::string&, int64_t n) {
      dropped += static_cast<int>(n);
    };
    drainer = std::make_unique<Drainer>(
        spool, client, limits,
        [](const spool::SpoolEntry& e) -> base::Result<ResolvedDelivery> {
          ResolvedDelivery d;
          d.request.body = std::make_shared<const std::string>(e.record.body);
          d.label = e.record.queue;
          d.rate_key = e.record.queue + "/key";
          return d;
        },
        options, std::move(events));
  }
  static DrainerOptions Fast() {
    DrainerOptions o;
    o.initial_backoff = 20ms;
    o.max_backoff = 100ms;
    return o;
  }
  void Push(const std::string& queue, const std::string& body) {
    ASSERT_TRUE(spool.Push({{queue, "{}", body}}).ok());
    drainer->Notify();
  }
  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  int64_t Depth() { return spool.Stats()->entries; }
};

TEST(DrainerTest, DeliversEverythingOldestFirstAndAcks) {
  Fixture f;
  for (int i = 0; i < 50; ++i) f.Push("q", "e" + std::to_string(i));
  f.drainer->Start();
  ASSERT_TRUE(f.WaitFor([&] { return f.delivered == 50; }));
  EXPECT_TRUE(f.WaitFor([&] { return f.Depth() == 0; }));
  std::lock_guard lock(f.client.mu);
  ASSERT_EQ(f.client.bodies.size(), 50u);
  EXPECT_EQ(f.client.bodies.front(), "e0");
}

TEST(DrainerTest, RetriesServerErrorsAndTimeoutsUntilDelivered) {
  Fixture f;
  f.client.script = {Answer(500), base::Timeout("no answer"), base::Unreachable("refused"),
                     Answer(503)};
  f.Push("q", "only");
  f.drainer->Start();
  ASSERT_TRUE(f.WaitFor([&] { return f.delivered == 1; }));
  EXPECT_EQ(f.retried, 4);
  EXPECT_EQ(f.dropped, 0);
  EXPECT_TRUE(f.WaitFor([&] { return f.Depth() == 0; }));
  std::lock_guard lock(f.client.mu);
  EXPECT_EQ(f.client.bodies, std::vector<std::string>(5, "only"));
}

TEST(DrainerTest, OtherClientErrorsAreDroppedAndCounted) {
  Fixture f;
  f.client.script = {Answer(400), Answer(413)};
  f.Push("q", "a");
  f.Push("q", "b");
  f.Push("q", "c");
  f.drainer->Start();
  ASSERT_TRUE(f.WaitFor([&] { return f.delivered == 1 && f.dropped == 2; }));
  EXPECT_TRUE(f.WaitFor([&] { return f.Depth() == 0; }));
  EXPECT_EQ(f.retried, 0);
}

TEST(DrainerTest, RateLimitIsLearnedAndWaitedFor) {
  Fixture f;
  f.client.script = {Answer(429, "1:error:key")};
  f.Push("q", "a");
  auto start = std::chrono::steady_clock::now();
  f.drainer->Start();
  ASSERT_TRUE(f.WaitFor([&] { return f.retried == 1; }));
  EXPECT_TRUE(f.limits.Check("q/key", {"error"}).has_value());
  ASSERT_TRUE(f.WaitFor([&] { return f.delivered == 1; }));
  // The retry waited for the limit (1 s), not for the 20 ms backoff.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST(DrainerTest, OneQueueFailingDoesNotHoldBackAnother) {
  DrainerOptions options = Fixture::Fast();
  options.initial_backoff = 10s;  // the failing queue waits long after its first failure
  Fixture f(options);
  f.client.script = {base::Unreachable("down")};
  f.Push("down", "x");
  f.drainer->Start();
  ASSERT_TRUE(f.WaitFor([&] { return f.retried == 1; }));
  for (int i = 0; i < 10; ++i) f.Push("up", "y" + std::to_string(i));
  ASSERT_TRUE(f.WaitFor([&] { return f.delivered == 10; }));
  EXPECT_EQ(f.spool.Stats()->queues["down"].entries, 1);
}

TEST(DrainerTest, StopLeavesUndeliveredEntriesInTheSpool) {
  Fixture f;
  f.client.script = {base::Unreachable("down")};
  f.Push("q", "x");
  f.drainer->Start();
  ASSERT_TRUE(f.WaitFor([&] { return f.retried == 1; }));
  f.drainer->Stop();
  EXPECT_EQ(f.Depth(), 1);
}

}  // namespace
}  // namespace ferry::forward
