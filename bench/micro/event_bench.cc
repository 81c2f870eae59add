// Micro-benchmark of the store's CPU work per event: normalization and grouping of a realistic
// error event (an exception with a stack trace and breadcrumbs), per event size.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "event/grouping.h"
#include "event/normalize.h"
#include "event/user_agent.h"

namespace {

using namespace ferry;

std::string Event(size_t target_bytes) {
  std::string frames;
  for (int i = 0; i < 15; ++i) {
    if (i) frames += ",";
    frames += "{\"filename\":\"app/views.py\",\"module\":\"app.views\",\"function\":\"handler" +
              std::to_string(i) + "\",\"lineno\":" + std::to_string(10 + i) +
              ",\"in_app\":true,\"context_line\":\"    return compute(value)\"}";
  }
  std::string crumbs;
  size_t i = 0;
  while (crumbs.size() + frames.size() + 400 < target_bytes) {
    if (!crumbs.empty()) crumbs += ",";
    crumbs += "{\"category\":\"http\",\"message\":\"GET /api/items/" + std::to_string(i++) +
              "\",\"level\":\"info\",\"timestamp\":1767225600.5}";
  }
  return "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"platform\":\"python\","
         "\"level\":\"error\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"release\":\"1.0\","
         "\"exception\":{\"values\":[{\"type\":\"ValueError\",\"value\":\"bad value 42\","
         "\"stacktrace\":{\"frames\":[" +
         frames + "]}}]},\"breadcrumbs\":{\"values\":[" + crumbs + "]}}";
}

void BM_NormalizeAndGroup(benchmark::State& state) {
  const std::string json = Event(static_cast<size_t>(state.range(0)));
  event::NormalizeOptions options;
  options.now = std::chrono::system_clock::now();
  for (auto _ : state) {
    auto ev = event::Normalize(json, options);
    auto grouping = event::ComputeGrouping(*ev);
    benchmark::DoNotOptimize(grouping);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(json.size()));
}
BENCHMARK(BM_NormalizeAndGroup)->Arg(5 << 10)->Arg(50 << 10);

// A browser event as @sentry/browser sends it: a request with a User-Agent, 20 frames from
// bundle URLs, a user, breadcrumbs making up the rest of ~5 KB.
std::string BrowserEvent() {
  std::string frames;
  for (int i = 0; i < 20; ++i) {
    if (i) frames += ",";
    frames += "{\"filename\":\"https://shop.example.com/static/js/" +
              std::string(i < 12 ? "vendor.3f9a1c2e.js" : "app.8b7d6e5f.js") +
              "\",\"function\":\"handle" + std::to_string(i) +
              "\",\"lineno\":1,\"colno\":" + std::to_string(1000 + i * 37) +
              ",\"in_app\":" + (i < 12 ? "false" : "true") + "}";
  }
  std::string crumbs;
  for (int i = 0; crumbs.size() + frames.size() < 4200; ++i) {
    if (!crumbs.empty()) crumbs += ",";
    crumbs += "{\"category\":\"ui.click\",\"message\":\"body > div#app > button.checkout-" +
              std::to_string(i) + "\",\"timestamp\":1767225600.5}";
  }
  return "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"platform\":\"javascript\","
         "\"level\":\"error\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"release\":\"shop@2.1\","
         "\"environment\":\"production\",\"user\":{\"id\":\"u42\"},"
         "\"request\":{\"url\":\"https://shop.example.com/checkout/7?step=2\",\"headers\":"
         "{\"User-Agent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
         "like Gecko) Chrome/120.0.0.0 Safari/537.36\",\"Referer\":\"https://shop.example.com/\"}},"
         "\"exception\":{\"values\":[{\"type\":\"TypeError\",\"value\":\"Cannot read "
         "properties of undefined\",\"mechanism\":{\"type\":\"onerror\",\"handled\":false},"
         "\"stacktrace\":{\"frames\":[" +
         frames + "]}}]},\"breadcrumbs\":{\"values\":[" + crumbs + "]}}";
}

// Arg 1: with the User-Agent parser (cached after the first event), 0: without.
void BM_NormalizeBrowserEvent(benchmark::State& state) {
  static const auto parser = event::UserAgentParser::Load(event::kDefaultUserAgentRegexes);
  const std::string json = BrowserEvent();
  event::NormalizeOptions options;
  options.now = std::chrono::system_clock::now();
  options.client_ip = "198.51.100.7";
  if (state.range(0) == 1 && parser.ok()) options.user_agents = parser->get();
  for (auto _ : state) {
    auto ev = event::Normalize(json, options);
    auto grouping = event::ComputeGrouping(*ev);
    benchmark::DoNotOptimize(grouping);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_NormalizeBrowserEvent)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
