// The real UpstreamClient: HTTP/1.1 over TCP or TLS with a keep-alive connection pool per
// endpoint, so steady traffic pays no TCP or TLS handshake per envelope. TLS verifies the
// certificate chain (system store or the endpoint's ca_file) and the host name.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "forward/upstream_client.h"

namespace ferry::forward {

struct PoolLimits {
  size_t max_idle_per_endpoint = 64;
  std::chrono::seconds idle_timeout{50};  // below nginx's default keepalive_timeout of 75 s
  size_t max_response_bytes = 1 << 20;
};

class ConnectionPool;

class HttpUpstreamClient final : public UpstreamClient {
 public:
  HttpUpstreamClient(boost::asio::io_context& ioc, PoolLimits limits = {});
  ~HttpUpstreamClient() override;

  // Loads the trust store for `ca_file` ("" = the system store) ahead of use, so a bad file is
  // reported at start-up rather than on the first envelope.
  base::Status PrepareTls(const std::string& ca_file);

  void Send(const Endpoint& endpoint, OutgoingRequest request, ResponseCallback done) override;

  // Connections opened so far (for metrics and tests).
  uint64_t connections_opened() const;

 private:
  boost::asio::io_context& ioc_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace ferry::forward
