// One upstream connection, plain or TLS, and the pool of idle ones. Internal to forward/.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "base/status.h"
#include "forward/http_upstream_client.h"
#include "forward/upstream_client.h"

namespace ferry::forward {

class Connection {
 public:
  using Plain = boost::beast::tcp_stream;
  using Tls = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit Connection(std::unique_ptr<Plain> s) : stream_(std::move(s)) {}
  explicit Connection(std::unique_ptr<Tls> s) : stream_(std::move(s)) {}

  // Writes the request and reads the answer. `*sent_nothing_back` tells whether the failure
  // happened before any byte of an answer arrived (then a reused connection may be retried).
  boost::asio::awaitable<base::Result<UpstreamResponse>> RoundTrip(
      const OutgoingRequest& request, std::chrono::milliseconds timeout, size_t max_response,
      bool* keep_alive, bool* nothing_received);

  std::chrono::steady_clock::time_point idle_since;

 private:
  std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> stream_;
  // Reused by every round trip on this connection, so a kept-alive connection allocates
  // neither again.
  std::string head_;
  boost::beast::flat_buffer buffer_;
};

class ConnectionPool {
 public:
  ConnectionPool(boost::asio::io_context& ioc, PoolLimits limits) : ioc_(ioc), limits_(limits) {}

  base::Status PrepareTls(const std::string& ca_file);
  // An idle connection to `endpoint`, or nullptr.
  std::unique_ptr<Connection> TakeIdle(const Endpoint& endpoint);
  void Return(const Endpoint& endpoint, std::unique_ptr<Connection> connection);
  // Resolves, connects and (for https) handshakes.
  boost::asio::awaitable<base::Result<std::unique_ptr<Connection>>> Connect(
      const Endpoint& endpoint);

  const PoolLimits& limits() const { return limits_; }
  boost::asio::io_context& ioc() { return ioc_; }
  uint64_t opened() const { return opened_.load(); }

 private:
  base::Result<std::shared_ptr<boost::asio::ssl::context>> TlsContext(const std::string& ca_file);

  // Idle connections are kept per (scheme, host, port, CA): looked up with the Endpoint
  // itself, so taking and returning a connection builds no key string.
  struct PoolKey {
    explicit PoolKey(const Endpoint& e);
    std::string scheme, host;
    uint16_t port;
    std::string ca_file;
  };
  struct PoolKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::tie(a.scheme, a.host, a.port, a.ca_file) <
             std::tie(b.scheme, b.host, b.port, b.ca_file);
    }
  };
  using Idle = std::vector<std::unique_ptr<Connection>>;

  boost::asio::io_context& ioc_;
  const PoolLimits limits_;
  std::atomic<uint64_t> opened_{0};
  std::mutex mu_;
  std::map<PoolKey, Idle, PoolKeyLess> idle_;                              // guarded by mu_
  std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> tls_;  // guarded by mu_
};

}  // namespace ferry::forward
