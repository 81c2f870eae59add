// A generic HTTP/1.1 server on Boost.Beast: a listener, one session per connection, and a
// Handler that answers requests. Keep-alive, chunked bodies, bounded header and body sizes,
// an idle timeout between requests and a deadline for reading each request.
//
// Threading: Run() drives the io_context from `threads` threads; each connection lives on its
// own strand. Stop() may be called from any thread: the listener closes, idle connections
// close, busy ones finish their current request and then close; Run() returns when the last
// one is gone (or after `grace` at the latest).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/memory_budget.h"
#include "base/status.h"
#include "http/types.h"

namespace ferry::http {

struct ServerLimits {
  uint64_t max_body_bytes = 200 << 20;
  uint32_t max_header_bytes = 64 * 1024;  // also bounds a chunked body's trailer section
  uint32_t max_chunk_line = 4096;         // a chunk-size line with its extensions
  uint32_t max_trailer_fields = 64;
  // A body that does not fit the memory budget waits this long for room, then gets 503.
  std::chrono::milliseconds budget_wait{1000};
  std::chrono::milliseconds request_timeout{30000};  // read one request, write one response
  std::chrono::milliseconds idle_timeout{75000};     // wait for the next request
  uint32_t max_connections = 10000;
};

class SessionBase;
template <typename Stream>
class Session;
class ServerTls;

class Server {
 public:
  Server(boost::asio::io_context& ioc, ServerLimits limits);
  ~Server();

  // Binds and listens. `host` is an IP literal (IPv6 without brackets); port 0 picks one.
  base::Status Listen(const std::string& host, uint16_t port);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_; }

  // Serves TLS with `tls`'s current context (it must outlive the server). Call before Start.
  void set_tls(ServerTls* tls) { tls_ = tls; }
  // Request bodies are charged to `budget` while they are read (it must outlive the server);
  // without one they are only bounded by the limits. Call before Start.
  void set_budget(base::MemoryBudget* budget) { budget_ = budget; }

  // Starts accepting; `handler` answers every request and must outlive the server.
  // REQUIRES: Listen succeeded.
  void Start(Handler& handler);
  // Graceful stop; see the file comment. Safe to call more than once, from any thread.
  void Stop();
  bool stopping() const { return stopping_.load(); }

  int64_t active_connections() const { return active_.load(); }

 private:
  template <typename Stream>
  friend class Session;
  void Register(uint64_t id, std::weak_ptr<SessionBase> session);
  void Unregister(uint64_t id);
  void DoAccept();
  template <typename SessionT>
  void Spawn(std::shared_ptr<SessionT> session);

  boost::asio::io_context& ioc_;
  Handler* handler_ = nullptr;
  ServerTls* tls_ = nullptr;
  base::MemoryBudget* budget_ = nullptr;
  const ServerLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint local_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> active_{0};
  std::mutex mu_;
  uint64_t next_id_ = 0;                                               // guarded by mu_
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions_;  // guarded by mu_
};

}  // namespace ferry::http
