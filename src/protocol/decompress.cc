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

// The decoder writes at most this much per step, so the output follows the real data, never a
// size claimed by the stream.
constexpr size_t kStep = 64 * 1024;
// Blocks double from kFirstBlock up to kMaxBlock. A block never moves once allocated, so the
// output never needs a copy while it grows (std::string's doubling would briefly hold the old
// and the new buffer: 1.5x to 2x the output). Only a multi-block result is joined at the end,
// block by block, freeing each one as it is copied.
constexpr size_t kFirstBlock = 64 * 1024;
constexpr size_t kMaxBlock = 1 << 20;

// RFC 8878 §3.1.1.1.2 lets HTTP decoders refuse zstd windows over 8 MiB; bounding the window
// bounds the decoder's own allocation whatever a hostile frame header claims.
constexpr int kZstdWindowLogMax = 23;

Status TooLargeOutput(size_t max_output) {
  return base::TooLarge("decompressed body exceeds " + std::to_string(max_output) + " bytes");
}

Status OverBudget() {
  return base::Overloaded("too many request bodies in flight (limits.max_inflight_bytes); retry");
}

// Bounded output: Reserve() opens room for the next decoder step, Commit() keeps what the
// decoder wrote. Room never extends more than one byte past max_output, which is enough to
// notice that the output would pass the bound. Every block is charged to the lease first.
class Output {
 public:
  explicit Output(const DecodeOptions& options) : options_(options) {}

  // Room for the next step, or null when the memory budget refused a new block.
  char* Reserve(size_t& room) {
    const size_t limit = options_.max_output == SIZE_MAX || options_.first_line
                             ? options_.max_output
                             : options_.max_output + 1;
    if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity()) {
      size_t size =
          blocks_.empty() ? kFirstBlock : std::min(kMaxBlock, blocks_.back().capacity() * 2);
      size = std::min(size, limit - total_);
      if (options_.lease != nullptr && !options_.lease->Add(size)) return nullptr;
      blocks_.emplace_back();
      blocks_.back().reserve(size);
      // reserve() may round up; what is charged is what the block may hold.
      if (options_.lease != nullptr) options_.lease->Add(blocks_.back().capacity() - size);
    }
    std::string& block = blocks_.back();
    room = std::min({kStep, block.capacity() - block.size(), limit - total_});
    size_t have = block.size();
    block.resize(have + room);
    return block.data() + have;
  }
  // Keeps `used` of the `room` bytes last reserved. False when the output passed the bound.
  bool Commit(size_t room, size_t used) {
    std::string& block = blocks_.back();
    if (options_.first_line && !line_done_ &&
        std::string_view(block).substr(block.size() - room, used).find('\n') !=
            std::string_view::npos) {
      line_done_ = true;
    }
    block.resize(block.size() - room + used);
    total_ += used;
    return options_.first_line || total_ <= options_.max_output;
  }
  // True once a first_line decode has what it asked for: a newline, or max_output bytes.
  bool Enough() const {
    return options_.first_line && (line_done_ || total_ >= options_.max_output);
  }
  std::string Take() && {
    if (blocks_.empty()) return {};
    if (blocks_.size() == 1) return std::move(blocks_.front());
    std::string out;
    out.reserve(total_);
    for (auto& block : blocks_) {
      out.append(block);
      std::string().swap(block);
    }
    return out;
  }

 private:
  const DecodeOptions& options_;
  std::vector<std::string> blocks_;
  size_t total_ = 0;
  bool line_done_ = false;
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
                                  const DecodeOptions& options) {
  const std::string corrupt = gzip ? "corrupt gzip body" : "corrupt deflate body";
  z_stream strm{};
  if (inflateInit2(&strm, window_bits) != Z_OK) return base::Internal("inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&strm, &inflateEnd);

  Output out(options);
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
    if (strm.next_out == nullptr) return OverBudget();
    strm.avail_out = static_cast<uInt>(room);
    int ret = inflate(&strm, Z_NO_FLUSH);
    if (!out.Commit(room, room - strm.avail_out)) return TooLargeOutput(options.max_output);
    if (out.Enough()) break;
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

base::Result<std::string> DecodeBrotli(std::string_view input, const DecodeOptions& options) {
  BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (state == nullptr) return base::Internal("BrotliDecoderCreateInstance failed");
  std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> guard(
      state, &BrotliDecoderDestroyInstance);

  Output out(options);
  size_t avail_in = input.size();
  auto next_in = reinterpret_cast<const uint8_t*>(input.data());
  while (true) {
    size_t room = 0;
    auto next_out = reinterpret_cast<uint8_t*>(out.Reserve(room));
    if (next_out == nullptr) return OverBudget();
    size_t avail_out = room;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(state, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    if (!out.Commit(room, room - avail_out)) return TooLargeOutput(options.max_output);
    if (out.Enough() && r != BROTLI_DECODER_RESULT_ERROR) return std::move(out).Take();
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

base::Result<std::string> DecodeZstd(std::string_view input, const DecodeOptions& options) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (dctx == nullptr) return base::Internal("ZSTD_createDCtx failed");
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> guard(dctx, &ZSTD_freeDCtx);
  if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, kZstdWindowLogMax))) {
    return base::Internal("ZSTD_d_windowLogMax rejected");
  }

  Output out(options);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  while (true) {
    size_t room = 0;
    ZSTD_outBuffer ob{out.Reserve(room), 0, 0};
    if (ob.dst == nullptr) return OverBudget();
    ob.size = room;
    // Streaming decoding follows the data, never the frame's declared content size, and
    // handles any number of concatenated (and skippable) frames.
    size_t r = ZSTD_decompressStream(dctx, &ob, &in);
    if (!out.Commit(room, ob.pos)) return TooLargeOutput(options.max_output);
    if (ZSTD_isError(r)) return InvalidArgument("corrupt zstd body");
    if (out.Enough()) return std::move(out).Take();
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

base::Result<std::string> Decompress(Encoding encoding, std::string_view input,
                                     const DecodeOptions& options) {
  switch (encoding) {
    case Encoding::kIdentity:
      if (options.first_line) return std::string(input.substr(0, options.max_output));
      if (input.size() > options.max_output) return TooLargeOutput(options.max_output);
      if (options.lease != nullptr && !options.lease->Add(input.size())) return OverBudget();
      return std::string(input);
    case Encoding::kGzip:
      return Inflate(input, 16 + MAX_WBITS, /*gzip=*/true, options);
    case Encoding::kDeflate:
      // Many clients send raw deflate for "deflate" despite RFC 9110 saying zlib; the zlib
      // header is recognisable, so accept both.
      return Inflate(input, IsZlibHeader(input) ? MAX_WBITS : -MAX_WBITS, /*gzip=*/false, options);
    case Encoding::kBrotli:
      return DecodeBrotli(input, options);
    case Encoding::kZstd:
      return DecodeZstd(input, options);
  }
  return InvalidArgument("unknown encoding");
}

base::Result<std::string> Decompress(Encoding encoding, std::string_view input, size_t max_output) {
  DecodeOptions options;
  options.max_output = max_output;
  return Decompress(encoding, input, options);
}

base::Result<std::string> DecodeBody(const std::vector<Encoding>& codings, std::string_view input,
                                     const DecodeOptions& options) {
  if (codings.empty()) return Decompress(Encoding::kIdentity, input, options);
  // Only the last coding undone (the first applied) produces the envelope's first bytes; the
  // ones before it are undone whole, within the full bound.
  DecodeOptions outer = options;
  outer.first_line = false;
  if (options.first_line) outer.max_output = options.max_output_outer;
  std::string current;
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    const bool last = std::next(it) == codings.rend();
    std::string_view source = it == codings.rbegin() ? input : std::string_view(current);
    auto decoded = Decompress(*it, source, last ? options : outer);
    if (!decoded.ok()) return decoded.status();
    current = std::move(decoded).value();
  }
  return current;
}

base::Result<std::string> DecodeBody(const std::vector<Encoding>& codings, std::string_view input,
                                     size_t max_output) {
  DecodeOptions options;
  options.max_output = max_output;
  return DecodeBody(codings, input, options);
}

}  // namespace ferry::protocol
