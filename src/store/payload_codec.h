// Stored event payloads are LZ4 frames (the format of the `lz4` tool, with the decompressed
// size in the header): a normalized event's JSON shrinks three to five times, so a store holds
// that many more days in the same disk and each event costs that many fewer bytes through
// SQLite's log. LZ4's fast mode compresses at about 2.7 GB/s on one core, a few microseconds
// per event, on the request's worker before the record reaches the single writer thread;
// zstd's level 1 packs a fifth tighter at a quarter of the speed, which cost more CPU than it
// saved in writes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::store {

// A payload decompresses to at most this many bytes; a larger frame header means a damaged
// store, not an event (normalized events are bounded far below it).
inline constexpr size_t kMaxPayloadBytes = 64 * 1024 * 1024;

// `json` as one LZ4 frame that records its decompressed size.
std::string CompressPayload(std::string_view json);

// The JSON of a frame made by CompressPayload. Errors (kInternal): not an LZ4 frame, truncated,
// corrupt, followed by other bytes, or larger than kMaxPayloadBytes. (The frames carry no
// checksum, as SQLite's pages carry none: a damaged frame that still decodes gives damaged
// JSON of the recorded size.)
base::Result<std::string> DecompressPayload(std::string_view frame);

}  // namespace ferry::store
