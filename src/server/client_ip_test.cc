#include "server/client_ip.h"

#include <gtest/gtest.h>

namespace ferry::server {
namespace {

http::IncomingRequest From(std::string peer) {
  http::IncomingRequest in;
  in.peer_ip = std::move(peer);
  return in;
}

std::vector<config::Cidr> Trusted(std::initializer_list<const char*> cidrs) {
  std::vector<config::Cidr> out;
  for (const char* c : cidrs) out.push_back(*config::ParseCidr(c));
  return out;
}

TEST(ClientIpTest, UntrustedPeerHeadersAreIgnored) {
  auto in = From("198.51.100.9");
  in.request.set("X-Forwarded-For", "203.0.113.7");
  EXPECT_EQ(ClientIp(in, Trusted({"127.0.0.1"})), "198.51.100.9");
  EXPECT_EQ(ClientIp(in, {}), "198.51.100.9");
}

TEST(ClientIpTest, TrustedProxyGivesLeftmostForwardedAddress) {
  auto in = From("127.0.0.1");
  in.request.set("X-Forwarded-For", "203.0.113.7, 10.0.0.1");
  EXPECT_EQ(ClientIp(in, Trusted({"127.0.0.0/8"})), "203.0.113.7");
}

TEST(ClientIpTest, CloudflareHeaderWinsOverForwardedFor) {
  auto in = From("10.1.2.3");
  in.request.set("X-Forwarded-For", "203.0.113.7");
  in.request.set("CF-Connecting-IP", "2001:db8::1");
  EXPECT_EQ(ClientIp(in, Trusted({"10.0.0.0/8"})), "2001:db8::1");
}

TEST(ClientIpTest, RealIpAndGarbage) {
  auto in = From("10.1.2.3");
  in.request.set("X-Real-IP", "192.0.2.1");
  EXPECT_EQ(ClientIp(in, Trusted({"10.0.0.0/8"})), "192.0.2.1");
  in.request.set("X-Real-IP", "not an address");
  EXPECT_EQ(ClientIp(in, Trusted({"10.0.0.0/8"})), "10.1.2.3");
}

}  // namespace
}  // namespace ferry::server
