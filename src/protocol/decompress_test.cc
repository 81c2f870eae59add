#include "protocol/decompress.h"

#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

namespace ferry::protocol {
namespace {

using namespace std::string_literals;

// window_bits: 16+15 gzip, 15 zlib, -15 raw deflate.
std::string Deflate(std::string_view in, int window_bits) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, in.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string Gzip(std::string_view in) { return Deflate(in, 16 + MAX_WBITS); }

std::string Brotli(std::string_view in) {
  size_t size = BrotliEncoderMaxCompressedSize(in.size()) + 16;
  std::string out(size, '\0');
  EXPECT_TRUE(BrotliEncoderCompress(
      /*quality=*/5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
      reinterpret_cast<const uint8_t*>(in.data()), &size, reinterpret_cast<uint8_t*>(out.data())));
  out.resize(size);
  return out;
}

std::string Zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string SampleBody() {
  std::string body =
      "{\"event_id\":\"e\"}\n{\"type\":\"attachment\",\"length\":4}\n\0\xFF\n\x01\n"s;
  for (int i = 0; i < 5000; ++i)
    body += "{\"type\":\"event\"}\n{\"n\":" + std::to_string(i) + "}\n";
  return body;
}

std::string MustDecompress(Encoding e, std::string_view in, size_t max = 1 << 24) {
  auto r = Decompress(e, in, max);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : "";
}

TEST(ParseContentEncodingTest, MapsNamesInOrder) {
  auto r = ParseContentEncoding("gzip, X-GZIP,deflate , br,zstd");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<Encoding>{Encoding::kGzip, Encoding::kGzip, Encoding::kDeflate,
                                       Encoding::kBrotli, Encoding::kZstd}));
}

TEST(ParseContentEncodingTest, SkipsIdentityAndUtf8) {
  for (std::string_view v : {"", " ", "identity", "UTF-8", "utf-8, identity"}) {
    auto r = ParseContentEncoding(v);
    ASSERT_TRUE(r.ok()) << v;
    EXPECT_TRUE(r->empty()) << v;
  }
}

TEST(ParseContentEncodingTest, RejectsUnknownCodings) {
  auto r = ParseContentEncoding("gzip, compress");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
}

TEST(DecompressTest, RoundTripsEveryEncoding) {
  std::string body = SampleBody();
  EXPECT_EQ(MustDecompress(Encoding::kIdentity, body), body);
  EXPECT_EQ(MustDecompress(Encoding::kGzip, Gzip(body)), body);
  EXPECT_EQ(MustDecompress(Encoding::kDeflate, Deflate(body, MAX_WBITS)), body);
  EXPECT_EQ(MustDecompress(Encoding::kDeflate, Deflate(body, -MAX_WBITS)), body);
  EXPECT_EQ(MustDecompress(Encoding::kBrotli, Brotli(body)), body);
  EXPECT_EQ(MustDecompress(Encoding::kZstd, Zstd(body)), body);
}

TEST(DecompressTest, RoundTripsEmptyBodies) {
  EXPECT_EQ(MustDecompress(Encoding::kGzip, Gzip("")), "");
  EXPECT_EQ(MustDecompress(Encoding::kDeflate, Deflate("", -MAX_WBITS)), "");
  EXPECT_EQ(MustDecompress(Encoding::kBrotli, Brotli("")), "");
  EXPECT_EQ(MustDecompress(Encoding::kZstd, Zstd("")), "");
}

TEST(DecompressTest, AcceptsConcatenatedGzipMembersAndZstdFrames) {
  EXPECT_EQ(MustDecompress(Encoding::kGzip, Gzip("hello ") + Gzip("world")), "hello world");
  EXPECT_EQ(MustDecompress(Encoding::kZstd, Zstd("hello ") + Zstd("world")), "hello world");
}

TEST(DecompressTest, RejectsTrailingGarbage) {
  for (auto [e, data] : std::vector<std::pair<Encoding, std::string>>{
           {Encoding::kGzip, Gzip("hi") + "xx"},
           {Encoding::kDeflate, Deflate("hi", MAX_WBITS) + "x"},
           {Encoding::kBrotli, Brotli("hi") + "x"},
           {Encoding::kZstd, Zstd("hi") + "garbage!"}}) {
    auto r = Decompress(e, data, 1000);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << r.status().ToString();
  }
}

TEST(DecompressTest, RejectsCorruptAndTruncatedInput) {
  std::string body = SampleBody();
  struct Case {
    Encoding encoding;
    std::string data;
    std::string name;
  };
  std::string gz = Gzip(body), zl = Deflate(body, MAX_WBITS), br = Brotli(body), zs = Zstd(body);
  std::string bad_gz = gz;
  bad_gz[gz.size() / 2] ^= 0x55;
  bad_gz[gz.size() / 2 + 1] ^= 0x55;
  std::vector<Case> cases = {
      {Encoding::kGzip, gz.substr(0, gz.size() / 2), "gzip"},
      {Encoding::kGzip, gz.substr(0, gz.size() - 4), "gzip"},  // trailer cut off
      {Encoding::kGzip, "not gzip at all", "gzip"},
      {Encoding::kGzip, "", "gzip"},
      {Encoding::kGzip, bad_gz, "gzip"},
      {Encoding::kDeflate, zl.substr(0, zl.size() - 1), "deflate"},
      {Encoding::kDeflate, "\xFF\xFF\xFF\xFF", "deflate"},
      {Encoding::kBrotli, br.substr(0, br.size() / 2), "brotli"},
      {Encoding::kBrotli, "\xFF\xFF\xFF\xFF\xFF", "brotli"},
      {Encoding::kBrotli, "", "brotli"},
      {Encoding::kZstd, zs.substr(0, zs.size() / 2), "zstd"},
      {Encoding::kZstd, "not zstd", "zstd"},
      {Encoding::kZstd, "", "zstd"},
  };
  for (const Case& c : cases) {
    auto r = Decompress(c.encoding, c.data, 1 << 24);
    ASSERT_FALSE(r.ok()) << c.name << " size " << c.data.size();
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
    EXPECT_EQ(r.status().detail().rfind("corrupt " + c.name + " body", 0), 0u)
        << r.status().detail();
  }
}

TEST(DecompressTest, OutputExactlyAtTheLimitIsAccepted) {
  std::string body(1000, 'a');
  EXPECT_EQ(MustDecompress(Encoding::kGzip, Gzip(body), 1000), body);
  EXPECT_EQ(MustDecompress(Encoding::kBrotli, Brotli(body), 1000), body);
  EXPECT_EQ(MustDecompress(Encoding::kZstd, Zstd(body), 1000), body);
  EXPECT_EQ(MustDecompress(Encoding::kIdentity, body, 1000), body);
  for (Encoding e : {Encoding::kIdentity, Encoding::kGzip, Encoding::kBrotli, Encoding::kZstd}) {
    std::string in = e == Encoding::kIdentity ? body
                     : e == Encoding::kGzip   ? Gzip(body)
                     : e == Encoding::kBrotli ? Brotli(body)
                                              : Zstd(body);
    auto r = Decompress(e, in, 999);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::Code::kTooLarge);
    EXPECT_EQ(r.status().detail(), "decompressed body exceeds 999 bytes");
  }
}

// 1 GiB of zeros, compressed a block at a time so the test never holds the plain text.
std::string GzipBombOfZeros(size_t plain_size) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 1, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  for (size_t done = 0; done < plain_size; done += zeros.size()) {
    bool last = done + zeros.size() >= plain_size;
    s.next_in = reinterpret_cast<Bytef*>(zeros.data());
    s.avail_in = static_cast<uInt>(zeros.size());
    do {
      s.next_out = reinterpret_cast<Bytef*>(buf);
      s.avail_out = sizeof buf;
      deflate(&s, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(buf, sizeof buf - s.avail_out);
    } while (s.avail_out == 0);
  }
  deflateEnd(&s);
  return out;
}

std::string ZstdBombOfZeros(size_t plain_size) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  // Pledge the size so the frame header claims 1 GiB: the decoder must not trust it.
  EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx, plain_size)));
  std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  for (size_t done = 0; done < plain_size; done += zeros.size()) {
    bool last = done + zeros.size() >= plain_size;
    ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
    size_t remaining = 0;
    do {
      ZSTD_outBuffer ob{buf, sizeof buf, 0};
      remaining = ZSTD_compressStream2(cctx, &ob, &in, last ? ZSTD_e_end : ZSTD_e_continue);
      out.append(buf, ob.pos);
    } while (last ? remaining != 0 : in.pos < in.size);
  }
  ZSTD_freeCCtx(cctx);
  return out;
}

TEST(DecompressTest, CompressionBombFailsTooLargeWithBoundedOutput) {
  constexpr size_t kGiB = size_t{1} << 30;
  constexpr size_t kLimit = 8 << 20;
  std::string gz = GzipBombOfZeros(kGiB);
  EXPECT_LT(gz.size(), 16u << 20);  // the point: far smaller than what it expands to
  auto r = Decompress(Encoding::kGzip, gz, kLimit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kTooLarge);
  EXPECT_EQ(r.status().detail(), "decompressed body exceeds 8388608 bytes");

  auto z = Decompress(Encoding::kZstd, ZstdBombOfZeros(kGiB), kLimit);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().code(), base::Code::kTooLarge);
}

std::string BrotliBombOfZeros(size_t plain_size) {
  BrotliEncoderState* enc = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  BrotliEncoderSetParameter(enc, BROTLI_PARAM_QUALITY, 1);
  std::string zeros(1 << 20, '\0');
  std::string out;
  for (size_t done = 0; done < plain_size; done += zeros.size()) {
    bool last = done + zeros.size() >= plain_size;
    size_t avail_in = zeros.size();
    auto next_in = reinterpret_cast<const uint8_t*>(zeros.data());
    do {
      size_t avail_out = 0;
      EXPECT_TRUE(BrotliEncoderCompressStream(
          enc, last ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS, &avail_in, &next_in,
          &avail_out, nullptr, nullptr));
      size_t n = 0;
      const uint8_t* data = BrotliEncoderTakeOutput(enc, &n);
      out.append(reinterpret_cast<const char*>(data), n);
    } while (avail_in > 0 || BrotliEncoderHasMoreOutput(enc) ||
             (last && !BrotliEncoderIsFinished(enc)));
  }
  BrotliEncoderDestroyInstance(enc);
  return out;
}

TEST(DecompressTest, BrotliBombFailsTooLarge) {
  auto r = Decompress(Encoding::kBrotli, BrotliBombOfZeros(size_t{256} << 20), 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kTooLarge);
}

TEST(DecodeBodyTest, UndoesCodingsInReverseOrder) {
  std::string body = SampleBody();
  auto r = DecodeBody({Encoding::kGzip, Encoding::kZstd}, Zstd(Gzip(body)), 1 << 24);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, body);
  auto plain = DecodeBody({}, body, 1 << 24);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, body);
  EXPECT_EQ(DecodeBody({}, body, 10).status().code(), base::Code::kTooLarge);
}

// Every coding, applied to `body`.
std::vector<std::pair<Encoding, std::string>> AllCodings(std::string_view body) {
  return {{Encoding::kGzip, Gzip(body)},
          {Encoding::kDeflate, Deflate(body, MAX_WBITS)},
          {Encoding::kDeflate, Deflate(body, -MAX_WBITS)},
          {Encoding::kBrotli, Brotli(body)},
          {Encoding::kZstd, Zstd(body)}};
}

TEST(DecompressTest, FirstLineStopsEarlyOnABomb) {
  std::string bomb = "{\"dsn\":\"x\"}\n" + std::string(64 << 20, '\0');
  for (const auto& [e, data] : AllCodings(bomb)) {
    base::MemoryBudget budget(0);
    base::MemoryLease lease(&budget);
    DecodeOptions options;
    options.max_output = 64 * 1024;
    options.first_line = true;
    options.lease = &lease;
    auto r = Decompress(e, data, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->substr(0, 12), "{\"dsn\":\"x\"}\n");
    EXPECT_LE(r->size(), options.max_output);
    EXPECT_LE(lease.held(), 64u * 1024);
  }
}

TEST(DecompressTest, FirstLineWithoutNewlineReturnsTheBound) {
  std::string line(100000, 'a');
  DecodeOptions options;
  options.max_output = 1000;
  options.first_line = true;
  auto r = Decompress(Encoding::kGzip, Gzip(line), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, std::string(1000, 'a'));
}

TEST(DecompressTest, BombCostsAtMostItsBoundPlusABlock) {
  const size_t max = 8 << 20;
  std::string bomb(64 << 20, '\0');
  for (const auto& [e, data] : AllCodings(bomb)) {
    base::MemoryBudget budget(0);
    base::MemoryLease lease(&budget);
    DecodeOptions options;
    options.max_output = max;
    options.lease = &lease;
    auto r = Decompress(e, data, options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::Code::kTooLarge);
    EXPECT_LE(lease.held(), max + (1 << 20)) << "the output was charged past its bound";
    EXPECT_GT(lease.held(), max / 2);
  }
}

TEST(DecompressTest, RefusedBudgetIsOverloaded) {
  std::string body(4 << 20, 'x');
  for (const auto& [e, data] : AllCodings(body)) {
    base::MemoryBudget budget(1 << 20);
    base::MemoryLease lease(&budget);
    DecodeOptions options;
    options.lease = &lease;
    auto r = Decompress(e, data, options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::Code::kOverloaded) << r.status().ToString();
  }
}

TEST(DecompressTest, LargeOutputJoinedFromBlocksIsExact) {
  std::string body;
  for (int i = 0; body.size() < (5 << 20); ++i) body += std::to_string(i) + ",";
  for (const auto& [e, data] : AllCodings(body)) {
    base::MemoryBudget budget(0);
    base::MemoryLease lease(&budget);
    DecodeOptions options;
    options.max_output = body.size();
    options.lease = &lease;
    auto r = Decompress(e, data, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(*r == body);
  }
}

TEST(DecompressTest, FirstLineThroughTwoCodings) {
  std::string body = "{\"a\":1}\n" + std::string(1 << 20, 'z');
  DecodeOptions options;
  options.max_output = 100;
  options.first_line = true;
  options.max_output_outer = 4 << 20;
  // Content-Encoding: gzip, br — gzip applied first, so brotli is undone first.
  auto r = DecodeBody({Encoding::kGzip, Encoding::kBrotli}, Brotli(Gzip(body)), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->substr(0, 8), "{\"a\":1}\n");
}

}  // namespace
}  // namespace ferry::protocol
