#include "server/request_body.h"

#include "store/base64.h"

namespace ferry::server {

base::Result<std::string> DecodeRequestBody(http::IncomingRequest& in,
                                            const std::vector<protocol::Encoding>& codings,
                                            uint64_t limit, Metrics& metrics, bool count_bomb) {
  auto& body = in.request.body();
  if (codings.empty()) {
    if (body.size() > limit) {
      return base::TooLarge("envelope exceeds " + std::to_string(limit) + " bytes");
    }
    return std::move(body);
  }
  // The decoded bytes get a lease of their own first: a decode cut short (too large, or to be
  // redone on a heavy worker) gives its memory back at once.
  base::MemoryLease decoded(in.memory ? in.memory->budget() : nullptr);
  protocol::DecodeOptions options;
  options.max_output = limit;
  options.lease = &decoded;
  auto result = protocol::DecodeBody(codings, body, options);
  if (!result.ok()) {
    if (result.status().code() == base::Code::kTooLarge && count_bomb) metrics.CountBomb();
    return result.status();
  }
  if (in.memory) in.memory->Absorb(std::move(decoded));
  return result;
}

base::Result<std::string> DecodeLegacyEvent(http::IncomingRequest& in, std::string& body,
                                            uint64_t limit, Metrics& metrics, bool count_bomb) {
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || body[start] == '{' || body[start] == '[') {
    return std::move(body);
  }
  // The base64 text without whitespace and its decoding are copies of the body's size: they
  // are charged like the body, and given back when this returns.
  base::MemoryLease scratch(in.memory ? in.memory->budget() : nullptr);
  if (!scratch.GrowTo(2 * (body.size() - start))) {
    return base::Overloaded("too many request bodies in flight (limits.max_inflight_bytes); retry");
  }
  std::string text;
  text.reserve(body.size() - start);
  for (size_t i = start; i < body.size(); ++i) {
    char c = body[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') text.push_back(c);
  }
  std::optional<std::string> decoded = store::Base64Decode(text);
  if (!decoded || decoded->empty()) return std::move(body);
  // 0x78 opens every zlib stream (deflate, 32 KiB window), whatever the compression level.
  if (static_cast<unsigned char>((*decoded)[0]) != 0x78) return std::move(*decoded);
  base::MemoryLease inflated(in.memory ? in.memory->budget() : nullptr);
  protocol::DecodeOptions options;
  options.max_output = limit;
  options.lease = &inflated;
  auto result = protocol::Decompress(protocol::Encoding::kDeflate, *decoded, options);
  if (!result.ok()) {
    if (result.status().code() == base::Code::kTooLarge && count_bomb) metrics.CountBomb();
    return result.status();
  }
  if (in.memory) in.memory->Absorb(std::move(inflated));
  return result;
}

base::Result<std::string> DecodeFirstLine(const http::IncomingRequest& in,
                                          const std::vector<protocol::Encoding>& codings,
                                          uint64_t max_outer) {
  const auto& body = in.request.body();
  std::string_view line;
  base::Result<std::string> decoded = std::string();
  if (codings.empty()) {
    line = std::string_view(body).substr(0, kMaxEnvelopeHeaderLine);
  } else {
    // The line's bytes are few and freed at once: they are charged, not waited for.
    base::MemoryLease lease(in.memory ? in.memory->budget() : nullptr);
    protocol::DecodeOptions options;
    options.max_output = kMaxEnvelopeHeaderLine;
    options.first_line = true;
    options.max_output_outer = max_outer;
    options.lease = &lease;
    decoded = protocol::DecodeBody(codings, body, options);
    if (!decoded.ok()) return decoded.status();
    line = *decoded;
  }
  auto eol = line.find('\n');
  if (eol == std::string_view::npos && line.size() >= kMaxEnvelopeHeaderLine) {
    return base::InvalidArgument("envelope header line exceeds " +
                                 std::to_string(kMaxEnvelopeHeaderLine) + " bytes");
  }
  return std::string(line.substr(0, eol));
}

}  // namespace ferry::server
