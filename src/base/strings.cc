#include "base/strings.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace ferry::base {

std::string MaskSecret(std::string_view secret) {
  if (secret.empty()) return "";
  // Count UTF-8 code points so a multi-byte character is never cut in half.
  std::string out;
  int kept = 0;
  for (size_t i = 0; i < secret.size() && kept < 4; ++kept) {
    size_t len = 1;
    auto c = static_cast<unsigned char>(secret[i]);
    if (c >= 0xF0)
      len = 4;
    else if (c >= 0xE0)
      len = 3;
    else if (c >= 0xC0)
      len = 2;
    out.append(secret.substr(i, len));
    i += len;
  }
  return out + "\xE2\x80\xA6";
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

namespace {

constexpr uint64_t kOnes = 0x0101010101010101;
constexpr uint64_t kHighBits = 0x8080808080808080;

// Whether any of the 8 bytes in `w` is a control character, '"' or '\'. The classic "has a
// byte below n" test: a byte's high bit survives (b - n) & ~b only when b < n; bytes of 0x80 and
// above never match, so UTF-8 passes. Equality is "below 1" after XOR with the character.
bool AnyNeedsEscape(uint64_t w) {
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  const uint64_t hits =
      ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash);
  return (hits & kHighBits) != 0;
}

// The same test for one byte, as a table: the bytes that are not part of an 8-byte step.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}();

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view s) {
  // Every string of every stored event passes through here and almost none needs escaping:
  // skip 8 plain bytes per step and copy runs at once rather than byte by byte.
  static constexpr char kHex[] = "0123456789abcdef";
  const char* data = s.data();
  const size_t size = s.size();
  size_t run = 0;
  size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      if (!AnyNeedsEscape(w)) {
        i += 8;
        continue;
      }
    }
    const size_t stop = std::min(size, i + 8);
    for (; i < stop; ++i) {
      auto c = static_cast<unsigned char>(data[i]);
      if (!kNeedsEscape[c]) continue;
      out.append(data + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default: {
          const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0F]};
          out.append(escape, sizeof escape);
        }
      }
    }
  }
  out.append(data + run, size - run);
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  AppendJsonEscaped(out, s);
  out += '"';
  return out;
}

}  // namespace ferry::base
