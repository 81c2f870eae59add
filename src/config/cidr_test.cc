#include <gtest/gtest.h>

#include "config/config.h"

namespace ferry::config {
namespace {

Cidr MustParse(std::string_view text) {
  auto cidr = ParseCidr(text);
  EXPECT_TRUE(cidr.ok()) << text << ": " << cidr.status().ToString();
  return cidr.ok() ? *cidr : Cidr{};
}

TEST(CidrTest, Ipv4NetworkContainsItsAddressesOnly) {
  Cidr net = MustParse("10.0.0.0/8");
  EXPECT_FALSE(net.v6);
  EXPECT_EQ(net.prefix, 8);
  EXPECT_EQ(net.text, "10.0.0.0/8");
  EXPECT_TRUE(net.Contains("10.0.0.1"));
  EXPECT_TRUE(net.Contains("10.255.255.255"));
  EXPECT_FALSE(net.Contains("11.0.0.1"));
  EXPECT_FALSE(net.Contains("not an ip"));
  EXPECT_FALSE(net.Contains(""));
}

TEST(CidrTest, PrefixesThatAreNotByteAligned) {
  Cidr net = MustParse("172.16.0.0/12");
  EXPECT_TRUE(net.Contains("172.31.255.254"));
  EXPECT_FALSE(net.Contains("172.32.0.1"));
  EXPECT_FALSE(net.Contains("172.15.255.255"));
}

TEST(CidrTest, BareAddressIsAHostRoute) {
  Cidr v4 = MustParse("192.168.1.10");
  EXPECT_EQ(v4.prefix, 32);
  EXPECT_TRUE(v4.Contains("192.168.1.10"));
  EXPECT_FALSE(v4.Contains("192.168.1.11"));
  Cidr v6 = MustParse("::1");
  EXPECT_TRUE(v6.v6);
  EXPECT_EQ(v6.prefix, 128);
  EXPECT_TRUE(v6.Contains("::1"));
  EXPECT_TRUE(v6.Contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(v6.Contains("::2"));
}

TEST(CidrTest, Ipv6Network) {
  Cidr net = MustParse("2001:db8::/32");
  EXPECT_TRUE(net.Contains("2001:db8::1"));
  EXPECT_TRUE(net.Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(net.Contains("2001:db9::1"));
  EXPECT_FALSE(net.Contains("10.0.0.1")) << "families never match";
  EXPECT_TRUE(net.Contains("[2001:db8::1]"));
  EXPECT_TRUE(MustParse("fe80::/10").Contains("fe80::1%eth0")) << "zone ignored";
}

TEST(CidrTest, Ipv4MappedAddressesCountAsIpv4) {
  Cidr net = MustParse("10.0.0.0/8");
  EXPECT_TRUE(net.Contains("::ffff:10.0.0.1"));
  EXPECT_TRUE(net.Contains("::FFFF:10.1.2.3"));
  EXPECT_FALSE(net.Contains("::ffff:11.0.0.1"));
  EXPECT_FALSE(MustParse("::/0").Contains("::ffff:10.0.0.1")) << "mapped is IPv4, not IPv6";

  Cidr mapped = MustParse("::ffff:10.0.0.0/104");
  EXPECT_FALSE(mapped.v6);
  EXPECT_EQ(mapped.prefix, 8);
  EXPECT_TRUE(mapped.Contains("10.9.9.9"));
  EXPECT_TRUE(mapped.Contains("::ffff:10.9.9.9"));
}

TEST(CidrTest, HostBitsAreIgnored) {
  Cidr net = MustParse("10.1.2.3/8");
  EXPECT_TRUE(net.Contains("10.200.0.1"));
  EXPECT_EQ(net.text, "10.1.2.3/8");
}

TEST(CidrTest, ZeroPrefixMatchesTheWholeFamily) {
  EXPECT_TRUE(MustParse("0.0.0.0/0").Contains("8.8.8.8"));
  EXPECT_TRUE(MustParse("::/0").Contains("2001:db8::1"));
  EXPECT_FALSE(MustParse("0.0.0.0/0").Contains("::1"));
}

TEST(CidrTest, RejectsMalformedNetworks) {
  for (const char* bad :
       {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/8/9",
        "host.example", "fe80::1%eth0/64", "::ffff:10.0.0.0/95", "10.0.0.0/ 8"}) {
    auto cidr = ParseCidr(bad);
    EXPECT_FALSE(cidr.ok()) << bad;
    if (!cidr.ok()) {
      EXPECT_EQ(cidr.status().code(), base::Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace ferry::config
