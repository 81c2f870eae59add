// The vocabulary of the HTTP layer: a request as read from a connection, a response, and the
// Handler that turns one into the other. Nothing here knows about Sentry.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ferry::http {

namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

struct IncomingRequest {
  Request request;
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
  kBadRequest,      // malformed HTTP
  kHeaderTooLarge,  // request line + headers over the limit
  kBodyTooLarge,    // declared or actual body over the limit
  kPlainHttpToTls,  // a plain-HTTP request on a TLS listener (answered in plain text)
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Answers `in` through `respond`, now or later, from any thread. Must not block.
  virtual void Handle(IncomingRequest in, Respond respond) = 0;
  // The answer for a request that could not be read; the connection closes after it.
  virtual Response Reject(ReadFailure failure, std::string_view peer_ip) = 0;
};

// A response with a JSON body {"detail": detail}.
Response JsonError(bhttp::status status, std::string_view detail);

}  // namespace ferry::http
