// Every decoder on arbitrary bytes with a small output bound: must never crash, leak or return
// more than the bound.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/decompress.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ferry::protocol::Encoding;
  constexpr size_t kMaxOutput = 256 * 1024;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (Encoding e : {Encoding::kIdentity, Encoding::kGzip, Encoding::kDeflate, Encoding::kBrotli,
                     Encoding::kZstd}) {
    auto r = ferry::protocol::Decompress(e, bytes, kMaxOutput);
    if (r.ok() && r->size() > kMaxOutput) std::abort();
    if (!r.ok() && r.status().code() != ferry::base::Code::kInvalidArgument &&
        r.status().code() != ferry::base::Code::kTooLarge) {
      std::abort();
    }
  }
  // The first byte picks a header value so ParseContentEncoding + DecodeBody get exercised too.
  if (size > 0) {
    static constexpr std::string_view kHeaders[] = {
        "gzip", "deflate", "br", "zstd", "gzip, br", "zstd,gzip", "identity", "x-gzip, deflate"};
    auto codings = ferry::protocol::ParseContentEncoding(kHeaders[data[0] % 8]);
    if (!codings.ok()) std::abort();
    auto r = ferry::protocol::DecodeBody(*codings, bytes.substr(1), kMaxOutput);
    if (r.ok() && r->size() > kMaxOutput) std::abort();
  }
  return 0;
}
