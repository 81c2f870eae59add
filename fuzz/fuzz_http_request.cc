// The request reader (src/http/request_reader.h) on arbitrary bytes: the head, chunked and
// length-framed bodies, trailers. The first byte picks how the input is cut into the pieces a
// connection would deliver. Must never crash, buffer past its limits, or report a body over
// its bound.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  ferry::http::ReaderLimits limits;
  limits.max_body_bytes = 64 * 1024;
  limits.max_header_bytes = 8 * 1024;
  limits.max_chunk_line = 256;
  limits.max_trailer_fields = 8;
  ferry::http::RequestReader reader(limits);
  using Progress = ferry::http::RequestReader::Progress;
  std::string pending;
  size_t at = 0;
  while (true) {
    size_t used = 0;
    Progress progress = reader.Put(pending, &used);
    if (used > pending.size()) std::abort();
    pending.erase(0, used);
    if (progress == Progress::kFailed) {
      if (reader.failure() == ferry::http::ReadFailure::kNone) std::abort();
      break;
    }
    if (progress == Progress::kDone) {
      auto request = reader.Release();
      if (request.body().size() > limits.max_body_bytes) std::abort();
      break;
    }
    // What the reader keeps unconsumed is bounded whatever it is fed: the header limit, or
    // in a body the trailer section (plus the piece being fed).
    if (pending.size() > limits.max_header_bytes + step + 2) std::abort();
    if (progress == Progress::kHeaderDone) continue;
    if (at >= input.size()) break;
    pending.append(input.substr(at, step));
    at += step;
  }
  return 0;
}
