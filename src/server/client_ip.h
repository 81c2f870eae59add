// Who the client is: the socket peer, unless the peer is a trusted proxy, in which case the
// left-most address of CF-Connecting-IP, X-Forwarded-For or X-Real-IP (first present wins).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "http/types.h"

namespace ferry::server {

std::string ClientIp(const http::IncomingRequest& in,
                     const std::vector<config::Cidr>& trusted_proxies);

}  // namespace ferry::server
