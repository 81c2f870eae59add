#include "server/client_ip.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "base/strings.h"

namespace ferry::server {

namespace {

// The first comma-separated element, if it is an IP address (v6 brackets and a port on v4
// are tolerated, as some proxies write them).
std::string LeftmostAddress(std::string_view header) {
  auto first = base::Trim(header.substr(0, header.find(',')));
  if (!first.empty() && first.front() == '[') {
    auto close = first.find(']');
    if (close != std::string_view::npos) first = first.substr(1, close - 1);
  } else if (std::count(first.begin(), first.end(), ':') == 1) {
    first = first.substr(0, first.find(':'));
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(first), ec);
  if (ec) return "";
  return address.to_string();
}

}  // namespace

std::string ClientIp(const http::IncomingRequest& in,
                     const std::vector<config::Cidr>& trusted_proxies) {
  bool trusted = false;
  for (const auto& cidr : trusted_proxies) {
    if (cidr.Contains(in.peer_ip)) {
      trusted = true;
      break;
    }
  }
  if (!trusted) return in.peer_ip;
  for (std::string_view name : {"CF-Connecting-IP", "X-Forwarded-For", "X-Real-IP"}) {
    auto it = in.request.find(name);
    if (it == in.request.end()) continue;
    auto ip = LeftmostAddress(it->value());
    if (!ip.empty()) return ip;
  }
  return in.peer_ip;
}

}  // namespace ferry::server
