#include "cli/spool_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <fstream>

namespace ferry::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;

base::Result<std::string> FetchSpoolStatus(const config::Config& config) {
  // The running server records where it listens (the port may have been picked at start).
  std::string host = config.server.listen_host;
  std::string port = std::to_string(config.server.listen_port);
  if (std::ifstream file(config.data_dir + "/" + std::string(kServeAddressFile)); file) {
    std::string address;
    std::getline(file, address);
    if (auto colon = address.rfind(':'); colon != std::string::npos) {
      host = address.substr(0, colon);
      port = address.substr(colon + 1);
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    }
  }
  asio::io_context ioc;
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return base::Unreachable(ec.message());
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(endpoints, ec);
  if (ec) return base::Unreachable("connecting to " + host + ":" + port + ": " + ec.message());
  beast::http::request<beast::http::empty_body> req{beast::http::verb::get, "/api/ferry/spool/",
                                                    11};
  req.set(beast::http::field::host, config.server.listen);
  beast::http::write(stream, req, ec);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  if (!ec) beast::http::read(stream, buffer, res, ec);
  if (ec) return base::Unreachable(ec.message());
  if (res.result_int() != 200) {
    return base::Unavailable("GET /api/ferry/spool/ answered " + std::to_string(res.result_int()));
  }
  return std::move(res.body());
}

int PrintSpoolStatus(const std::string& path, const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    std::fprintf(stderr, "ferry: unreadable spool status\n");
    return 1;
  }
  auto& o = v.as_object();
  auto num = [](const json::object& obj, std::string_view key) -> long long {
    const auto* f = obj.if_contains(key);
    return f && f->is_int64() ? f->as_int64() : f && f->is_uint64() ? (long long)f->as_uint64() : 0;
  };
  auto age = [&num](const json::object& obj) {
    return num(obj, "entries") == 0 ? std::string("-")
                                    : std::to_string(num(obj, "oldest_age_s")) + "s";
  };
  std::printf("spool %s: %lld envelopes, %lld bytes of %lld, oldest %s\n", path.c_str(),
              num(o, "entries"), num(o, "bytes"), num(o, "max_bytes"), age(o).c_str());
  if (const auto* queues = o.if_contains("queues"); queues && queues->is_object()) {
    for (const auto& [name, q] : queues->as_object()) {
      if (!q.is_object()) continue;
      const auto& qo = q.as_object();
      const auto* probing = qo.if_contains("probing");
      bool failing = num(qo, "failures") > 0;
      std::printf(
          "  %s: %lld envelopes, %lld bytes, oldest %s, %s\n", std::string(name).c_str(),
          num(qo, "entries"), num(qo, "bytes"), age(qo).c_str(),
          failing
              ? ("failing (" + std::to_string(num(qo, "failures")) + " attempts, next in " +
                 std::to_string(num(qo, "retry_in_ms")) + " ms" +
                 (probing && probing->is_bool() && probing->as_bool() ? ", probing one at a time"
                                                                      : "") +
                 ")")
                    .c_str()
              : "delivering");
    }
  }
  return 0;
}

}  // namespace ferry::cli
