#include "forward/http_upstream_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include "forward/connection.h"

namespace ferry::forward {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> Exchange(ConnectionPool& pool, Endpoint endpoint, OutgoingRequest request,
                               ResponseCallback done) {
  // A pooled connection may have been closed by the upstream while idle; that shows as a
  // failure before any answer arrives, and then one fresh connection is tried.
  for (int attempt = 0;; ++attempt) {
    auto conn = attempt == 0 ? pool.TakeIdle(endpoint) : nullptr;
    bool reused = conn != nullptr;
    if (!conn) {
      auto connected = co_await pool.Connect(endpoint);
      if (!connected.ok()) {
        done(connected.status());
        co_return;
      }
      conn = std::move(*connected);
    }
    bool keep_alive = false;
    bool nothing_received = false;
    auto result =
        co_await conn->RoundTrip(request, endpoint.timeout, pool.limits().max_response_bytes,
                                 &keep_alive, &nothing_received);
    if (!result.ok() && reused && nothing_received &&
        result.status().code() == base::Code::kUnreachable) {
      continue;
    }
    if (result.ok() && keep_alive) pool.Return(endpoint, std::move(conn));
    done(std::move(result));
    co_return;
  }
}

}  // namespace

HttpUpstreamClient::HttpUpstreamClient(asio::io_context& ioc, PoolLimits limits)
    : ioc_(ioc), pool_(std::make_unique<ConnectionPool>(ioc, limits)) {}

HttpUpstreamClient::~HttpUpstreamClient() = default;

base::Status HttpUpstreamClient::PrepareTls(const std::string& ca_file) {
  return pool_->PrepareTls(ca_file);
}

void HttpUpstreamClient::Send(const Endpoint& endpoint, OutgoingRequest request,
                              ResponseCallback done) {
  asio::co_spawn(asio::make_strand(ioc_),
                 Exchange(*pool_, endpoint, std::move(request), std::move(done)), asio::detached);
}

uint64_t HttpUpstreamClient::connections_opened() const { return pool_->opened(); }

}  // namespace ferry::forward
