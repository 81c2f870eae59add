#include "protocol/decompress.h"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "base/strings.h"

namespace ferry::protocol {
namespace {

using base::InvalidArgument;
using base::Status;

// Output grows by at most this much per step, so memory follows the real output, never a size
// claimed by the stream.
constexpr size_t kChunk = 64 * 1024;

// RFC 8878 §3.1.1.1.2 lets HTTP decoders refuse zstd windows over 8 MiB; bounding the window
// bounds the decoder's own allocation whatever a hostile frame header claims.
constexpr int kZstdWindowLogMax = 23;

Status TooLargeOutput(size_t max_output) {
  return base::TooLarge("decompressed body exceeds " + std::to_string(max_output) + " bytes");
}

// Bounded output buffer: Reserve() opens room for the next decoder step, Commit() keeps what
// the decoder wrote. Room never extends more than one byte past max_output, which is enough to
// notice that the output would pass the bound.
class Output {
 public:
  explicit Output(size_t max_output) : max_(max_output) {}

  char* Reserve(size_t& room) {
    size_t have = data_.size();
    size_t limit = max_ == SIZE_MAX ? SIZE_MAX : max_ + 1;
    room = std::min(kChunk, limit - have);
    data_.resize(have + room);
    return data_.data() + have;
  }
  // Keeps `used` of the `room` bytes last reserved. False when the output passed the bound.
  bool Commit(size_t room, size_t used) {
    data_.resize(data_.size() - room + used);
    return data_.size() <= max_;
  }
  std::string Take() && { return std::move(data_); }

 private:
  size_t max_;
  std::string data_;
};

bool IsZlibHeader(std::string_view in) {
  if (in.size() < 2) return false;
  auto b0 = static_cast<unsigned char>(in[0]);
  auto b1 = static_cast<unsigned char>(in[1]);
  return (b0 & 0x0F) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
}

bool IsGzipMagic(std::string_view in) {
  return in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0x1F &&
         static_cast<unsigned char>(in[1]) == 0x8B;
}

base::Result<std::string> Inflate(std::string_view input, int window_bits, bool gzip,
                                  size_t max_output) {
  const std::string corrupt = gzip ? "corrupt gzip body" : "corrupt deflate body";
  z_stream strm{};
  if (inflateInit2(&strm, window_bits) != Z_OK) return base::Internal("inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&strm, &inflateEnd);

  Output out(max_output);
  size_t fed = 0;  // bytes of `input` handed to zlib so far
  while (true) {
    if (strm.avail_in == 0 && fed < input.size()) {
      // avail_in is 32 bits wide; feed huge inputs in slices.
      size_t n = std::min<size_t>(input.size() - fed, 1u << 30);
      strm.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data() + fed));
      strm.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    size_t room = 0;
    strm.next_out = reinterpret_cast<Bytef*>(out.Reserve(room));
    strm.avail_out = static_cast<uInt>(room);
    int ret = inflate(&strm, Z_NO_FLUSH);
    if (!out.Commit(room, room - strm.avail_out)) return TooLargeOutput(max_output);
    if (ret == Z_STREAM_END) {
      std::string_view rest = input.substr(fed - strm.avail_in);
      if (rest.empty()) break;
      // Concatenated gzip members are one body (RFC 1952 §2.2); anything else is garbage.
      if (!gzip || !IsGzipMagic(rest)) return InvalidArgument(corrupt + ": trailing data");
      if (inflateReset(&strm) != Z_OK) return InvalidArgument(corrupt);
      continue;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) return InvalidArgument(corrupt);
    if (strm.avail_in == 0 && fed == input.size() && strm.avail_out != 0) {
      return InvalidArgument(corrupt + ": truncated");
    }
  }
  return std::move(out).Take();
}

base::Result<std::string> DecodeBrotli(std::string_view input, size_t max_output) {
  BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (state == nullptr) return base::Internal("BrotliDecoderCreateInstance failed");
  std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> guard(
      state, &BrotliDecoderDestroyInstance);

  Output out(max_output);
  size_t avail_in = input.size();
  auto next_in = reinterpret_cast<const uint8_t*>(input.data());
  while (true) {
    size_t room = 0;
    auto next_out = reinterpret_cast<uint8_t*>(out.Reserve(room));
    size_t avail_out = room;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(state, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    if (!out.Commit(room, room - avail_out)) return TooLargeOutput(max_output);
    switch (r) {
      case BROTLI_DECODER_RESULT_SUCCESS:
        if (avail_in != 0) return InvalidArgument("corrupt brotli body: trailing data");
        return std::move(out).Take();
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        continue;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        // All input was handed over at once: needing more means the stream was cut short.
        return InvalidArgument("corrupt brotli body: truncated");
      case BROTLI_DECODER_RESULT_ERROR:
      default:
        return InvalidArgument("corrupt brotli body");
    }
  }
}

base::Result<std::string> DecodeZstd(std::string_view input, size_t max_output) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (dctx == nullptr) return base::Internal("ZSTD_createDCtx failed");
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> guard(dctx, &ZSTD_freeDCtx);
  if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, kZstdWindowLogMax))) {
    return base::Internal("ZSTD_d_windowLogMax rejected");
  }

  Output out(max_output);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  while (true) {
    size_t room = 0;
    ZSTD_outBuffer ob{out.Reserve(room), 0, 0};
    ob.size = room;
    // Streaming decoding follows the data, never the frame's declared content size, and
    // handles any number of concatenated (and skippable) frames.
    size_t r = ZSTD_decompressStream(dctx, &ob, &in);
    if (!out.Commit(room, ob.pos)) return TooLargeOutput(max_output);
    if (ZSTD_isError(r)) return InvalidArgument("corrupt zstd body");
    if (in.pos == in.size && ob.pos < ob.size) {
      // All input consumed and the decoder had room to spare: done, or cut off mid-frame.
      if (r != 0) return InvalidArgument("corrupt zstd body: truncated");
      return std::move(out).Take();
    }
  }
}

}  // namespace

base::Result<std::vector<Encoding>> ParseContentEncoding(std::string_view value) {
  std::vector<Encoding> codings;
  while (true) {
    size_t comma = value.find(',');
    std::string lower = base::AsciiLower(base::Trim(value.substr(0, comma)));
    if (lower == "gzip" || lower == "x-gzip") {
      codings.push_back(Encoding::kGzip);
    } else if (lower == "deflate") {
      codings.push_back(Encoding::kDeflate);
    } else if (lower == "br") {
      codings.push_back(Encoding::kBrotli);
    } else if (lower == "zstd") {
      codings.push_back(Encoding::kZstd);
    } else if (!lower.empty() && lower != "identity" && lower != "utf-8") {
      return InvalidArgument("unsupported Content-Encoding \"" + lower + "\"");
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return codings;
}

base::Result<std::string> Decompress(Encoding encoding, std::string_view input, size_t max_output) {
  switch (encoding) {
    case Encoding::kIdentity:
      if (input.size() > max_output) return TooLargeOutput(max_output);
      return std::string(input);
    case Encoding::kGzip:
      return Inflate(input, 16 + MAX_WBITS, /*gzip=*/true, max_output);
    case Encoding::kDeflate:
      // Many clients send raw deflate for "deflate" despite RFC 9110 saying zlib; the zlib
      // header is recognisable, so accept both.
      return Inflate(input, IsZlibHeader(input) ? MAX_WBITS : -MAX_WBITS, /*gzip=*/false,
                     max_output);
    case Encoding::kBrotli:
      return DecodeBrotli(input, max_output);
    case Encoding::kZstd:
      return DecodeZstd(input, max_output);
  }
  return InvalidArgument("unknown encoding");
}

base::Result<std::string> DecodeBody(const std::vector<Encoding>& codings, std::string_view input,
                                     size_t max_output) {
  if (codings.empty()) return Decompress(Encoding::kIdentity, input, max_output);
  std::string current;
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    std::string_view source = it == codings.rbegin() ? input : std::string_view(current);
    auto decoded = Decompress(*it, source, max_output);
    if (!decoded.ok()) return decoded.status();
    current = std::move(decoded).value();
  }
  return current;
}

}  // namespace ferry::protocol
