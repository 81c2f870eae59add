// Content-Encoding decoding with a hard bound on the output: a compression bomb fails with
// kTooLarge as soon as the output would pass the bound, without ever allocating the size it
// claims to expand to. The output grows in blocks that never move, so a decode's peak memory
// is its output (at most the bound) plus about a megabyte, never a multiple of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/memory_budget.h"
#include "base/status.h"

namespace ferry::protocol {

enum class Encoding { kIdentity, kGzip, kDeflate, kBrotli, kZstd };

// Parses a Content-Encoding header value into the codings in the order they were applied.
// "", "identity" and "utf-8" (sent by some SDKs) mean no coding and are skipped; "x-gzip" is
// gzip. Errors (kInvalidArgument): an unknown coding.
base::Result<std::vector<Encoding>> ParseContentEncoding(std::string_view value);

struct DecodeOptions {
  size_t max_output = SIZE_MAX;
  // Charged for every block of output before it is allocated (not owned; may be null).
  base::MemoryLease* lease = nullptr;
  // Stop as soon as the output holds a newline or max_output bytes, and return that much
  // (perhaps a little more than the line, never more than max_output): enough to read an
  // envelope's header line without decoding the rest. Corruption past that point is not seen.
  bool first_line = false;
  // With first_line and several codings: the bound for the codings undone before the last.
  size_t max_output_outer = SIZE_MAX;
};

// Decodes `input`. "deflate" accepts both zlib-wrapped and raw deflate streams.
// Errors: kInvalidArgument for corrupt or truncated data, kTooLarge when the output would
// exceed `max_output` bytes, kOverloaded when the lease's budget refused more memory.
base::Result<std::string> Decompress(Encoding encoding, std::string_view input,
                                     const DecodeOptions& options);
base::Result<std::string> Decompress(Encoding encoding, std::string_view input, size_t max_output);

// Undoes every coding in `codings` (last applied, first undone), each bounded by max_output.
base::Result<std::string> DecodeBody(const std::vector<Encoding>& codings, std::string_view input,
                                     const DecodeOptions& options);
base::Result<std::string> DecodeBody(const std::vector<Encoding>& codings, std::string_view input,
                                     size_t max_output);

}  // namespace ferry::protocol
