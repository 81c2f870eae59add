// The vocabulary of the HTTP layer: a request as read from a connection, a response, and the
// Handler that turns one into the other. Nothing here knows about Sentry.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/memory_budget.h"

namespace ferry::http {

namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

struct IncomingRequest {
  Request request;
  // What the body holds of the server's memory budget; decoders grow it as they go. Shared so
  // that the handler can keep it as long as it keeps the body's bytes.
  std::shared_ptr<base::MemoryLease> memory;
  std::string peer_ip;  // the socket peer; IPv4-mapped IPv6 addresses are shown as IPv4
  uint16_t peer_port = 0;
  uint64_t wire_bytes = 0;  // header and body bytes as read from the socket
  std::chrono::steady_clock::time_point received;
};

// Completes a request. Call it exactly once, from any thread. When every copy is destroyed
// without a call, the connection gets a 500 so that a bug never leaves a client hanging.
class Respond {
 public:
  using Fn = std::function<void(Response)>;
  explicit Respond(Fn fn);
  void operator()(Response response) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// What the server does when it cannot hand a request to the handler.
enum class ReadFailure {
  kNone,              // not a failure (a reader's "all is well")
  kBadRequest,        // malformed HTTP
  kObsFold,           // a header line folded onto the next (obs-fold, RFC 9112 §5.2)
  kChunkLineTooLong,  // a chunk-size line (with its extensions) over the limit
  kHeaderTooLarge,    // request line + headers over the limit
  kTrailersTooLarge,  // the trailer section of a chunked body over its limits
  kBodyTooLarge,      // declared or actual body (or its chunk framing) over the limit
  kNotImplemented,    // a transfer coding other than chunked
  kOverBudget,        // the memory budget for bodies in flight cannot take this body
  kPlainHttpToTls,    // a plain-HTTP request on a TLS listener (answered in plain text)
};

// What Handler::CheckHead decided about a request whose body is not read yet.
struct HeadVerdict {
  using Done = std::function<void(std::optional<Response>)>;
  std::optional<Response> refusal;  // refuse with this answer
  // When set, the decision is made later: the server calls it once with a Done that it must
  // call exactly once, from any thread (nullopt = go on).
  std::function<void(Done)> deferred;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Answers `in` through `respond`, now or later, from any thread. Must not block.
  virtual void Handle(IncomingRequest in, Respond respond) = 0;
  // The answer for a request that could not be read; the connection closes after it.
  virtual Response Reject(ReadFailure failure, std::string_view peer_ip) = 0;
  // Called on the I/O thread once a request's header is read, before its body: it may refuse
  // the request at once (the body is not read and the connection closes), let it go on, or
  // defer the decision to work that must not run on the I/O thread. Must not block.
  virtual HeadVerdict CheckHead(const Request& head, std::string_view peer_ip) {
    (void)head;
    (void)peer_ip;
    return {};
  }
};

// A response with a JSON body {"detail": detail}.
Response JsonError(bhttp::status status, std::string_view detail);

}  // namespace ferry::http
