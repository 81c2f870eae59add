// The body of a tunnel or ingest request as the endpoints read it: decoded within a bound and
// charged to the request's memory lease, or only its first line, which is enough to check the
// envelope's DSN before the rest is decoded. Runs on worker threads (it decodes).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "http/types.h"
#include "protocol/decompress.h"
#include "server/metrics.h"

namespace ferry::server {

// The most of an envelope's first line that is decoded to read its header.
inline constexpr size_t kMaxEnvelopeHeaderLine = 64 * 1024;

// The whole body, decoded (moved out of the request when it has no coding). Errors:
// kTooLarge past `limit` (counted as a bomb when `count_bomb`), kOverloaded when the budget
// refused, kInvalidArgument for corrupt data.
base::Result<std::string> DecodeRequestBody(http::IncomingRequest& in,
                                            const std::vector<protocol::Encoding>& codings,
                                            uint64_t limit, Metrics& metrics, bool count_bomb);

// A /store/ body as the legacy endpoint takes it: JSON as it is, or (what the raven clients
// send, with no Content-Encoding) base64 of zlib-compressed JSON or of plain JSON, decoded
// within `limit` and charged to the request's lease. A body that is neither is returned as it
// is, for the JSON parser to refuse. Errors: kTooLarge past `limit` (counted as a bomb when
// `count_bomb`),
// kOverloaded when the budget refused, kInvalidArgument for a corrupt zlib stream.
// `body` is moved from only when it is returned as it is.
base::Result<std::string> DecodeLegacyEvent(http::IncomingRequest& in, std::string& body,
                                            uint64_t limit, Metrics& metrics, bool count_bomb);

// The body's first line (up to kMaxEnvelopeHeaderLine bytes), decoding no more than that;
// `max_outer` bounds the outer codings when several are applied.
base::Result<std::string> DecodeFirstLine(const http::IncomingRequest& in,
                                          const std::vector<protocol::Encoding>& codings,
                                          uint64_t max_outer);

}  // namespace ferry::server
