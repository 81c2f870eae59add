// Cidr: the trusted_proxies check. A client IP is believed from X-Forwarded-For & co. only
// when the socket peer is inside one of these networks.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "base/strings.h"
#include "config/config.h"
#include "config/values.h"

namespace ferry::config {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct Address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// Parses a textual address. IPv4-mapped IPv6 (::ffff:10.0.0.1) becomes the IPv4 address,
// because a dual-stack socket reports IPv4 peers that way and they must match IPv4 networks.
// Brackets and a zone ("fe80::1%eth0", as Asio may print link-local peers) are ignored.
bool ParseAddress(std::string_view text, Address* out) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  text = text.substr(0, text.find('%'));
  std::string s(text);
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out->v6 = false;
    std::memcpy(out->bytes.data(), &v4, 4);
    return true;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return false;
  std::memcpy(out->bytes.data(), &v6, 16);
  out->v6 = true;
  if (std::memcmp(out->bytes.data(), kMappedPrefix, 12) == 0) {
    out->v6 = false;
    std::memmove(out->bytes.data(), out->bytes.data() + 12, 4);
    std::memset(out->bytes.data() + 4, 0, 12);
  }
  return true;
}

// True when the first `prefix` bits of a and b are equal.
bool SamePrefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a.data(), b.data(), full) != 0) return false;
  int bits = prefix % 8;
  if (bits == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

bool Cidr::Contains(std::string_view ip) const {
  Address address;
  if (!ParseAddress(base::Trim(ip), &address)) return false;
  if (address.v6 != v6) return false;
  return SamePrefix(addr, address.bytes, prefix);
}

base::Result<Cidr> ParseCidr(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return base::InvalidArgument("expected a CIDR like 10.0.0.0/8 or fd00::/8" + std::string(why) +
                                 ", got " + base::JsonQuote(text));
  };
  size_t slash = text.find('/');
  std::string_view address_text = text.substr(0, slash);
  if (address_text.find('%') != std::string_view::npos) return fail(" (no zone)");
  Address address;
  if (!ParseAddress(address_text, &address)) return fail("");
  // A mapped IPv6 network was turned into IPv4 above, so its prefix loses the 96 mapped bits.
  bool was_mapped = !address.v6 && address_text.find(':') != std::string_view::npos;
  int max_prefix = address.v6 ? 128 : (was_mapped ? 128 : 32);
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    auto parsed = internal::ParseUint(text.substr(slash + 1), 0, max_prefix);
    if (!parsed.ok()) return fail(" (prefix length 0.." + std::to_string(max_prefix) + ")");
    prefix = static_cast<int>(*parsed);
  }
  if (was_mapped) {
    if (prefix < 96) return fail(" (an IPv4-mapped network needs a prefix of at least 96)");
    prefix -= 96;
  }
  Cidr cidr;
  cidr.text = std::string(text);
  cidr.v6 = address.v6;
  cidr.prefix = prefix;
  // Host bits written after the network ("10.1.2.3/8") are cleared, as most tools do.
  for (int i = 0; i < 16; ++i) {
    int bits = std::min(8, std::max(0, prefix - 8 * i));
    cidr.addr[i] = address.bytes[i] & static_cast<uint8_t>(bits == 0 ? 0 : 0xff << (8 - bits));
  }
  return cidr;
}

}  // namespace ferry::config
