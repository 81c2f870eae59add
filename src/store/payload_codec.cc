#include "store/payload_codec.h"

#include <lz4frame.h>

#include <memory>
#include <new>

namespace ferry::store {
namespace {

struct FreeDctx {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

LZ4F_preferences_t Preferences(size_t size) {
  LZ4F_preferences_t p{};
  p.frameInfo.blockSizeID = LZ4F_max4MB;
  p.frameInfo.blockMode = LZ4F_blockIndependent;
  p.frameInfo.contentSize = size;  // recorded, so a read allocates once and knows its bound
  p.compressionLevel = 0;          // the fast mode
  return p;
}

}  // namespace

std::string CompressPayload(std::string_view json) {
  const LZ4F_preferences_t prefs = Preferences(json.size());
  std::string out(LZ4F_compressFrameBound(json.size(), &prefs), '\0');
  // In the fast mode the frame is made with a context on the stack: no allocation per call.
  size_t n = LZ4F_compressFrame(out.data(), out.size(), json.data(), json.size(), &prefs);
  // With a destination of the frame bound, only an input over 4 GiB could fail.
  if (LZ4F_isError(n)) throw std::bad_alloc();
  out.resize(n);
  out.shrink_to_fit();
  return out;
}

base::Result<std::string> DecompressPayload(std::string_view frame) {
  thread_local std::unique_ptr<LZ4F_dctx, FreeDctx> dctx = [] {
    LZ4F_dctx* d = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) throw std::bad_alloc();
    return std::unique_ptr<LZ4F_dctx, FreeDctx>(d);
  }();
  LZ4F_resetDecompressionContext(dctx.get());
  LZ4F_frameInfo_t info{};
  size_t header = frame.size();
  // A content size of 0 is also how a frame says "not recorded": then anything but an empty
  // payload fails below as too long.
  if (LZ4F_isError(LZ4F_getFrameInfo(dctx.get(), &info, frame.data(), &header))) {
    return base::Internal("a stored event payload is not an LZ4 frame");
  }
  if (info.contentSize > kMaxPayloadBytes) {
    return base::Internal("a stored event payload claims " + std::to_string(info.contentSize) +
                          " bytes");
  }
  std::string out(static_cast<size_t>(info.contentSize), '\0');
  size_t out_size = out.size();
  size_t in_size = frame.size() - header;
  size_t rest =
      LZ4F_decompress(dctx.get(), out.data(), &out_size, frame.data() + header, &in_size, nullptr);
  if (LZ4F_isError(rest)) {
    return base::Internal(std::string("a stored event payload is damaged: ") +
                          LZ4F_getErrorName(rest));
  }
  if (rest != 0 || out_size != out.size() || header + in_size != frame.size()) {
    return base::Internal("a stored event payload is truncated or has bytes after its frame");
  }
  return out;
}

}  // namespace ferry::store
