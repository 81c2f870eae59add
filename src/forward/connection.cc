#include "forward/connection.h"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstring>

namespace ferry::forward {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

base::Status FromError(const boost::system::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) return base::Timeout(std::string(what) + " timed out");
  return base::Unreachable(std::string(what) + " failed: " + ec.message());
}

// Appends "name: value\r\n". Values come from the configuration and from header values the
// server's parser accepted; a stray CR or LF becomes a space so that no value can start a
// header of its own.
void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  size_t start = out.size();
  out += value;
  if (std::memchr(value.data(), '\r', value.size()) != nullptr ||
      std::memchr(value.data(), '\n', value.size()) != nullptr) {
    for (size_t i = start; i < out.size(); ++i) {
      if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
    }
  }
  out += "\r\n";
}

// The request line and header fields of a POST of `request` on a kept-alive connection.
// Written by hand into one buffer: Beast's generic serializer cost about a tenth of the
// tunnel's instructions per request, for a message whose shape never changes.
void SerializeHead(const OutgoingRequest& request, std::string& head) {
  head.clear();
  head += "POST ";
  head += request.target;
  head += " HTTP/1.1\r\n";
  AppendField(head, "Host", request.host_header);
  for (const auto& [name, value] : request.headers) AppendField(head, name, value);
  AppendField(head, "Content-Length", std::to_string(request.body_size()));
  head += "\r\n";
}

template <typename Stream>
asio::awaitable<base::Result<UpstreamResponse>> RoundTripOn(Stream& stream, std::string& head,
                                                            beast::flat_buffer& buffer,
                                                            const OutgoingRequest& request,
                                                            std::chrono::milliseconds timeout,
                                                            size_t max_response, bool* keep_alive,
                                                            bool* nothing_received) {
  SerializeHead(request, head);
  // The envelope itself is sent from where it lies, not copied.
  const std::string_view rest = request.body_rest();
  const std::array<asio::const_buffer, 3> message{asio::buffer(head), asio::buffer(request.prefix),
                                                  asio::buffer(rest.data(), rest.size())};

  *nothing_received = true;
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [wec, wn] = co_await asio::async_write(stream, message, kUse);
  if (wec) co_return FromError(wec, "sending to the upstream");

  // The answer is small: read what arrives and feed it to the parser, without Beast's composed
  // read operations.
  buffer.clear();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_response);
  parser.eager(true);
  while (!parser.is_done()) {
    auto [rec, n] = co_await stream.async_read_some(buffer.prepare(8 * 1024), kUse);
    if (rec) {
      // An answer without a length ends when the upstream closes.
      boost::system::error_code eof;
      if (rec == asio::error::eof && parser.is_header_done()) parser.put_eof(eof);
      if (rec == asio::error::eof && parser.is_header_done() && !eof) break;
      co_return FromError(rec, "reading the upstream's answer");
    }
    *nothing_received = false;
    buffer.commit(n);
    boost::system::error_code pec;
    buffer.consume(parser.put(buffer.data(), pec));
    if (pec && pec != bhttp::error::need_more) {
      co_return base::Unreachable("malformed answer from the upstream: " + pec.message());
    }
  }
  beast::get_lowest_layer(stream).expires_never();

  auto& res = parser.get();
  UpstreamResponse out;
  out.status = res.result_int();
  out.body = std::move(res.body());
  out.content_type = std::string(res[bhttp::field::content_type]);
  out.retry_after = std::string(res[bhttp::field::retry_after]);
  out.rate_limits = std::string(res["X-Sentry-Rate-Limits"]);
  // Bytes beyond the answer would belong to nothing: such a connection is not reused.
  *keep_alive = res.keep_alive() && buffer.size() == 0;
  co_return out;
}

}  // namespace

asio::awaitable<base::Result<UpstreamResponse>> Connection::RoundTrip(
    const OutgoingRequest& request, std::chrono::milliseconds timeout, size_t max_response,
    bool* keep_alive, bool* nothing_received) {
  if (auto* plain = std::get_if<std::unique_ptr<Plain>>(&stream_)) {
    co_return co_await RoundTripOn(**plain, head_, buffer_, request, timeout, max_response,
                                   keep_alive, nothing_received);
  }
  co_return co_await RoundTripOn(*std::get<std::unique_ptr<Tls>>(stream_), head_, buffer_, request,
                                 timeout, max_response, keep_alive, nothing_received);
}

ConnectionPool::PoolKey::PoolKey(const Endpoint& e)
    : scheme(e.scheme), host(e.host), port(e.port), ca_file(e.ca_file) {}

base::Result<std::shared_ptr<asio::ssl::context>> ConnectionPool::TlsContext(
    const std::string& ca_file) {
  std::lock_guard lock(mu_);
  if (auto it = tls_.find(ca_file); it != tls_.end()) return it->second;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1,
                   ec);
  ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return base::InvalidArgument("cannot load the CA bundle \"" +
                                 (ca_file.empty() ? std::string("system") : ca_file) +
                                 "\": " + ec.message());
  }
  tls_.emplace(ca_file, ctx);
  return ctx;
}

base::Status ConnectionPool::PrepareTls(const std::string& ca_file) {
  auto ctx = TlsContext(ca_file);
  return ctx.ok() ? base::Status::Ok() : ctx.status();
}

std::unique_ptr<Connection> ConnectionPool::TakeIdle(const Endpoint& endpoint) {
  std::lock_guard lock(mu_);
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    if (now - conn->idle_since < limits_.idle_timeout) return conn;
  }
  return nullptr;
}

void ConnectionPool::Return(const Endpoint& endpoint, std::unique_ptr<Connection> connection) {
  connection->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) it = idle_.emplace(PoolKey(endpoint), Idle()).first;
  if (it->second.size() < limits_.max_idle_per_endpoint)
    it->second.push_back(std::move(connection));
}

asio::awaitable<base::Result<std::unique_ptr<Connection>>> ConnectionPool::Connect(
    const Endpoint& endpoint) {
  tcp::resolver resolver(ioc_);
  auto [rec, results] =
      co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kUse);
  if (rec) co_return base::Unreachable("cannot resolve " + endpoint.host + ": " + rec.message());

  auto tcp_stream = std::make_unique<beast::tcp_stream>(ioc_);
  tcp_stream->expires_after(endpoint.connect_timeout);
  auto [cec, ep] = co_await tcp_stream->async_connect(results, kUse);
  if (cec) co_return FromError(cec, "connecting to " + endpoint.host);
  boost::system::error_code ignored;
  tcp_stream->socket().set_option(tcp::no_delay(true), ignored);
  ++opened_;

  if (endpoint.scheme != "https") {
    tcp_stream->expires_never();
    co_return std::make_unique<Connection>(std::move(tcp_stream));
  }
  auto ctx = TlsContext(endpoint.ca_file);
  if (!ctx.ok()) co_return ctx.status();
  auto tls = std::make_unique<Connection::Tls>(std::move(*tcp_stream), **ctx);
  if (!SSL_set_tlsext_host_name(tls->native_handle(), endpoint.host.c_str())) {
    co_return base::Unreachable("cannot set the TLS server name for " + endpoint.host);
  }
  tls->set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
  beast::get_lowest_layer(*tls).expires_after(endpoint.connect_timeout);
  auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, kUse);
  if (hec) co_return FromError(hec, "TLS handshake with " + endpoint.host);
  beast::get_lowest_layer(*tls).expires_never();
  co_return std::make_unique<Connection>(std::move(tls));
}

}  // namespace ferry::forward
