// Micro-benchmarks of the tunnel's hot path: envelope header scan + remap lookup + header
// rewrite, per envelope size; and decompression of a gzip/zstd/br body.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "protocol/decompress.h"
#include "protocol/dsn.h"
#include "protocol/envelope.h"
#include "server/remap_table.h"

namespace {

using namespace ferry;

constexpr const char* kOld = "https://2235e5c99219488ea93da34b9ac1cb68@sentry.example.com/4";
constexpr const char* kNew = "https://1b13ae41ee7c898ce3c49d04781eb908@sentry.example.com/2";

std::string Envelope(size_t payload_bytes) {
  std::string header =
      std::string("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"") + kOld +
      "\",\"sent_at\":\"2026-01-01T00:00:00.000Z\",\"sdk\":{\"name\":"
      "\"sentry.javascript.node\",\"version\":\"11.12.0\"},\"trace\":{\"trace_id\":"
      "\"d2a5f4a1b2c34d5e8f9a0b1c2d3e4f5a\",\"public_key\":"
      "\"2235e5c99219488ea93da34b9ac1cb68\",\"environment\":\"production\"}}";
  std::string payload(payload_bytes, 'x');
  return header + "\n{\"type\":\"event\",\"length\":" + std::to_string(payload.size()) + "}\n" +
         payload + "\n";
}

void BM_ParseRemapRewrite(benchmark::State& state) {
  const std::string body = Envelope(static_cast<size_t>(state.range(0)));
  auto table = server::RemapTable::Build({{kOld, {kNew}}});
  for (auto _ : state) {
    auto header = protocol::ParseEnvelopeHeader(body);
    const auto* dsn = header->Find("dsn");
    auto dsn_parsed = protocol::ParseDsn(dsn->string_value);
    const auto* targets = table->Find(dsn->string_value);
    protocol::HeaderRewrite rewrite;
    rewrite.dsn = (*targets)[0].text;
    rewrite.trace_public_key = (*targets)[0].dsn.public_key;
    std::string out = protocol::RewriteEnvelopeHeader(body, *header, rewrite);
    benchmark::DoNotOptimize(dsn_parsed);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ParseRemapRewrite)->Arg(2 << 10)->Arg(20 << 10)->Arg(500 << 10);

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void BM_GunzipEnvelope(benchmark::State& state) {
  // JSON-like text compresses like real events do (not like a run of one byte).
  std::string body;
  while (body.size() < static_cast<size_t>(state.range(0))) {
    body += "{\"filename\":\"/app/dist/server.js\",\"function\":\"handler\",\"lineno\":" +
            std::to_string(body.size() % 977) + ",\"in_app\":true},";
  }
  const std::string gz = Gzip(body);
  for (auto _ : state) {
    auto out = protocol::Decompress(protocol::Encoding::kGzip, gz, 200 << 20);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_GunzipEnvelope)->Arg(20 << 10)->Arg(500 << 10);

}  // namespace

BENCHMARK_MAIN();
