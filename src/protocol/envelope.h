// Sentry envelopes: a JSON header line, then items, each a JSON item-header line and a payload
// that is either `length` bytes long or runs to the next newline. The trailing newline is
// optional. Payloads are bytes: nothing here decodes or copies them.
//
// The tunnel only needs the header (ParseEnvelopeHeader + RewriteEnvelopeHeader); ingest needs
// the items (ParseEnvelope). All returned views point into the caller's buffer, which must
// outlive them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocol/json_scan.h"

namespace ferry::protocol {

struct EnvelopeHeader {
  std::string_view line;          // header line without its newline
  std::vector<JsonField> fields;  // top-level members of the header object

  const JsonField* Find(std::string_view key) const { return FindField(fields, key); }
};

// Scans the first line of `envelope`. Errors (kInvalidArgument): empty body, header not JSON,
// not an object.
base::Result<EnvelopeHeader> ParseEnvelopeHeader(std::string_view envelope);

struct HeaderRewrite {
  std::optional<std::string> dsn;               // replaces (or adds) the header's "dsn"
  std::optional<std::string> trace_public_key;  // replaces "trace"."public_key" when present
};

// `envelope` with its header line rewritten; every byte after the header line is copied
// untouched. REQUIRES: `header` was parsed from `envelope`.
std::string RewriteEnvelopeHeader(std::string_view envelope, const EnvelopeHeader& header,
                                  const HeaderRewrite& rewrite);
// Only the rewritten header line, without its line break: the envelope is this line followed
// by the original bytes from header.line.size() on (what the tunnel sends, without copying
// the rest). `reserve_extra` bytes more are reserved in the result.
std::string RewriteHeaderLine(const EnvelopeHeader& header, const HeaderRewrite& rewrite,
                              size_t reserve_extra = 0);

struct EnvelopeItem {
  std::string_view header;        // item header line
  std::vector<JsonField> fields;  // its members
  std::string type;               // "event", "attachment", ... ("" when absent)
  std::string_view payload;       // the item's bytes
};

struct Envelope {
  EnvelopeHeader header;
  std::vector<EnvelopeItem> items;
};

// Parses a whole envelope. Errors (kInvalidArgument): bad header, an item header that is not
// a JSON object, a `length` that is not a non-negative integer or runs past the body.
base::Result<Envelope> ParseEnvelope(std::string_view bytes);

struct ItemOut {
  std::string header_json;  // item header object without "length"; length is added
  std::string payload;
};

// Writes an envelope with explicit lengths on every item and a trailing newline.
std::string SerializeEnvelope(std::string_view header_json, const std::vector<ItemOut>& items);

}  // namespace ferry::protocol
