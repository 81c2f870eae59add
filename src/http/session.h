// One HTTP connection: reads requests one at a time, hands each to the Handler, writes the
// answer, and loops while the connection is kept alive. Internal to the http library.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>
#include <string>

#include "http/server.h"

namespace ferry::http {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, boost::asio::ip::tcp::socket socket, uint64_t id);
  ~Session();

  // Runs the connection to its end. Spawned on the session's strand.
  boost::asio::awaitable<void> Run();
  // Closes the connection when it is between requests; otherwise lets the current request
  // finish and closes afterwards. Called on any thread.
  void Shutdown();
  boost::asio::any_io_executor stream_executor() { return stream_.get_executor(); }

 private:
  boost::asio::awaitable<bool> WaitForRequest();
  boost::asio::awaitable<void> Answer(Response response, bool keep_alive);
  boost::asio::awaitable<void> RejectAndClose(ReadFailure failure);
  boost::asio::awaitable<void> LingeringClose();

  Server& server_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  const uint64_t id_;
  std::string peer_ip_;
  uint16_t peer_port_ = 0;
  bool idle_ = true;  // on the strand only
};

}  // namespace ferry::http
