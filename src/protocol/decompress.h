// Content-Encoding decoding with a hard bound on the output: a compression bomb fails with
// kTooLarge as soon as the output would pass the bound, without ever allocating the size it
// claims to expand to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry::protocol {

enum class Encoding { kIdentity, kGzip, kDeflate, kBrotli, kZstd };

// Parses a Content-Encoding header value into the codings in the order they were applied.
// "", "identity" and "utf-8" (sent by some SDKs) mean no coding and are skipped; "x-gzip" is
// gzip. Errors (kInvalidArgument): an unknown coding.
base::Result<std::vector<Encoding>> ParseContentEncoding(std::string_view value);

// Decodes `input`. "deflate" accepts both zlib-wrapped and raw deflate streams.
// Errors: kInvalidArgument for corrupt or truncated data, kTooLarge when the output would
// exceed `max_output` bytes.
base::Result<std::string> Decompress(Encoding encoding, std::string_view input, size_t max_output);

// Undoes every coding in `codings` (last applied, first undone), each bounded by max_output.
base::Result<std::string> DecodeBody(const std::vector<Encoding>& codings, std::string_view input,
                                     size_t max_output);

}  // namespace ferry::protocol
