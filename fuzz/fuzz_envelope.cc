// Envelope parsing and header rewriting on arbitrary bytes: must never crash, and a rewrite
// must keep everything after the header line byte for byte.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto envelope = ferry::protocol::ParseEnvelope(bytes);
  auto header = ferry::protocol::ParseEnvelopeHeader(bytes);
  if (envelope.ok() && !header.ok()) std::abort();
  if (!header.ok()) return 0;

  ferry::protocol::HeaderRewrite rewrite;
  rewrite.dsn = "https://newkey@ferry.example/7";
  rewrite.trace_public_key = "newkey";
  std::string out = ferry::protocol::RewriteEnvelopeHeader(bytes, *header, rewrite);
  std::string_view tail = bytes.substr(header->line.size());
  if (out.size() < tail.size() || out.compare(out.size() - tail.size(), tail.size(), tail) != 0) {
    std::abort();
  }
  // The rewritten header must still be a valid object carrying the new DSN.
  auto again = ferry::protocol::ParseEnvelopeHeader(out);
  if (!again.ok()) std::abort();
  const auto* dsn = again->Find("dsn");
  if (dsn == nullptr || dsn->string_value != *rewrite.dsn) std::abort();

  if (envelope.ok()) {
    std::vector<ferry::protocol::ItemOut> items;
    for (const auto& item : envelope->items) {
      items.push_back({std::string(item.header), std::string(item.payload)});
    }
    std::string serialized = ferry::protocol::SerializeEnvelope(header->line, items);
    auto reparsed = ferry::protocol::ParseEnvelope(serialized);
    if (!reparsed.ok() || reparsed->items.size() != envelope->items.size()) std::abort();
    for (size_t i = 0; i < items.size(); ++i) {
      if (reparsed->items[i].payload != envelope->items[i].payload) std::abort();
    }
  }
  return 0;
}
