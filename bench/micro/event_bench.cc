// Micro-benchmark of the store's CPU work per event: normalization and grouping of a realistic
// error event (an exception with a stack trace and breadcrumbs), per event size.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "event/grouping.h"
#include "event/normalize.h"

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

}  // namespace

BENCHMARK_MAIN();
