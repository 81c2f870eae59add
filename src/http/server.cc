#include "http/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <vector>

#include "base/log.h"
#include "http/session.h"
#include "http/tls.h"

namespace ferry::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

Server::Server(asio::io_context& ioc, ServerLimits limits)
    : ioc_(ioc), limits_(limits), acceptor_(asio::make_strand(ioc)) {}

Server::~Server() = default;

base::Status Server::Listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return base::InvalidArgument("cannot listen on \"" + host + "\": not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) local_ = acceptor_.local_endpoint(ec);
  if (ec) {
    return base::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             ec.message());
  }
  return base::Status::Ok();
}

void Server::Start(Handler& handler) {
  handler_ = &handler;
  asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
}

void Server::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](boost::system::error_code ec,
                                                         tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      // Out of descriptors or a transient failure: log it and keep accepting.
      base::Log(base::LogLevel::kWarn, "accept failed", {{"error", ec.message()}});
      DoAccept();
      return;
    }
    if (stopping_) return;
    if (static_cast<uint64_t>(active_.load()) >= limits_.max_connections) {
      base::Log(base::LogLevel::kWarn, "connection refused: too many connections",
                {{"limit", limits_.max_connections}});
      socket.close(ec);
    } else {
      uint64_t id;
      {
        std::lock_guard lock(mu_);
        id = next_id_++;
      }
      if (tls_ != nullptr) {
        Spawn(std::make_shared<Session<TlsStream>>(*this, std::move(socket), id, tls_->current()));
      } else {
        Spawn(std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket), id));
      }
    }
    DoAccept();
  });
}

template <typename SessionT>
void Server::Spawn(std::shared_ptr<SessionT> session) {
  Register(session->id(), session);
  auto executor = session->stream_executor();
  asio::co_spawn(
      executor, [session]() { return session->Run(); }, asio::detached);
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  std::vector<std::shared_ptr<SessionBase>> sessions;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) s->Shutdown();
}

void Server::Register(uint64_t id, std::weak_ptr<SessionBase> session) {
  ++active_;
  std::lock_guard lock(mu_);
  sessions_.emplace(id, std::move(session));
}

void Server::Unregister(uint64_t id) {
  --active_;
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

}  // namespace ferry::http
