// One HTTP connection: reads requests one at a time, hands each to the Handler, writes the
// answer, and loops while the connection is kept alive. Over plain TCP or over TLS (the
// handshake comes first; a client speaking plain HTTP to the TLS port gets a plain-text 400
// instead of a handshake failure it cannot read). Internal to the http library.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <string>
#include <type_traits>

#include "http/server.h"

namespace ferry::http {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection when it is between requests; otherwise lets the current request
  // finish and closes afterwards. Called on any thread.
  virtual void Shutdown() = 0;
};

// Stream is boost::beast::tcp_stream or TlsStream (both instantiated in session.cc).
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `context` is for TLS only (the session keeps it alive); plain TCP leaves it null.
  Session(Server& server, boost::asio::ip::tcp::socket socket, uint64_t id,
          std::shared_ptr<boost::asio::ssl::context> context = nullptr);
  ~Session() override;

  // Runs the connection to its end. Spawned on the session's strand.
  boost::asio::awaitable<void> Run();
  void Shutdown() override;
  boost::asio::any_io_executor stream_executor() { return stream_.get_executor(); }
  uint64_t id() const { return id_; }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  static Stream MakeStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* context);
  boost::beast::tcp_stream& tcp() { return boost::beast::get_lowest_layer(stream_); }
  void InitPeer();
  boost::asio::awaitable<bool> Handshake();
  boost::asio::awaitable<bool> WaitForRequest();
  // Reads more bytes into buffer_; false when the connection ended or failed (a failure that
  // is not a quiet close is answered 400 first).
  boost::asio::awaitable<bool> ReadMore();
  // Makes `lease` hold `bytes`, waiting up to limits.budget_wait for room; false when the
  // budget stays full.
  boost::asio::awaitable<bool> Reserve(base::MemoryLease& lease, uint64_t bytes);
  boost::asio::awaitable<void> Answer(Response response, bool keep_alive);
  boost::asio::awaitable<void> RejectAndClose(ReadFailure failure);
  boost::asio::awaitable<void> RefuseAndClose(Response response);
  boost::asio::awaitable<void> LingeringClose();

  Server& server_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // TLS only; outlives stream_
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string head_;  // the serialized head of the last response, reused
  const uint64_t id_;
  std::string peer_ip_;
  uint16_t peer_port_ = 0;
  bool idle_ = true;  // on the strand only
};

}  // namespace ferry::http
