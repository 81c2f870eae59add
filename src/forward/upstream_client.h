// Sending envelopes to an upstream Sentry-compatible instance. The interface is the seam the
// tunnel (and later the spool drainer) talks to; HttpUpstreamClient is the real one, tests may
// substitute their own.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace ferry::forward {

// Where and how to connect.
struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // name or IP literal, without IPv6 brackets
  uint16_t port = 0;
  std::string ca_file;  // https: PEM bundle to trust; empty = the system store
  std::chrono::milliseconds connect_timeout{5000};  // TCP connect + TLS handshake
  std::chrono::milliseconds timeout{30000};         // write the request, read the answer
};

struct OutgoingRequest {
  std::string target;       // path and query, e.g. "/api/2/envelope/"
  std::string host_header;  // the Host header
  std::vector<std::pair<std::string, std::string>> headers;
  // The body sent is `prefix` followed by `body` from `body_offset` on: a rewritten envelope
  // header line goes in front of the original bytes, which are shared between fan-out copies
  // and never copied.
  std::string prefix;
  std::shared_ptr<const std::string> body;
  size_t body_offset = 0;

  size_t body_size() const { return prefix.size() + body->size() - body_offset; }
  std::string_view body_rest() const {
    return std::string_view(*body).substr(std::min(body_offset, body->size()));
  }
  // The whole body in one string, for what must keep it (the spool, the local store).
  std::shared_ptr<const std::string> WholeBody() const {
    if (prefix.empty() && body_offset == 0) return body;
    std::string whole;
    whole.reserve(body_size());
    whole.append(prefix).append(body_rest());
    return std::make_shared<const std::string>(std::move(whole));
  }
};

struct UpstreamResponse {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
  std::string rate_limits;  // X-Sentry-Rate-Limits
};

using ResponseCallback = std::function<void(base::Result<UpstreamResponse>)>;

class UpstreamClient {
 public:
  virtual ~UpstreamClient() = default;
  // Sends `request` and calls `done` exactly once, on an I/O thread. Errors: kUnreachable
  // (resolve, connect, TLS or a broken connection), kTimeout (no answer in time).
  virtual void Send(const Endpoint& endpoint, OutgoingRequest request, ResponseCallback done) = 0;
};

}  // namespace ferry::forward
