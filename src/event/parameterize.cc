// ParameterizeMessage (declared in grouping.h): a hand-written scanner rather than regexes,
// because it runs on every event and on hostile input std::regex can be slow or recurse deeply.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "event/grouping.h"

namespace ferry::event {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Length of a run of up to `max` characters satisfying `pred` starting at `i`.
template <typename Pred>
size_t Run(std::string_view s, size_t i, size_t max, Pred pred) {
  size_t n = 0;
  while (i + n < s.size() && n < max && pred(s[i + n])) ++n;
  return n;
}

bool EndsWord(std::string_view s, size_t end) { return end >= s.size() || !IsWord(s[end]); }

size_t MatchUuid(std::string_view s, size_t i) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  size_t pos = i;
  for (size_t g = 0; g < 5; ++g) {
    if (g > 0) {
      if (pos >= s.size() || s[pos] != '-') return 0;
      ++pos;
    }
    if (Run(s, pos, kGroups[g], IsHex) != kGroups[g]) return 0;
    pos += kGroups[g];
  }
  return EndsWord(s, pos) ? pos - i : 0;
}

size_t MatchHexLiteral(std::string_view s, size_t i) {
  if (s[i] != '0' || i + 2 >= s.size() || (s[i + 1] != 'x' && s[i + 1] != 'X')) return 0;
  size_t n = Run(s, i + 2, SIZE_MAX, IsHex);
  return n > 0 && EndsWord(s, i + 2 + n) ? n + 2 : 0;
}

size_t MatchIpv4(std::string_view s, size_t i) {
  size_t pos = i;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= s.size() || s[pos] != '.') return 0;
      ++pos;
    }
    size_t n = Run(s, pos, 3, IsDigit);
    if (n == 0) return 0;
    pos += n;
  }
  return EndsWord(s, pos) ? pos - i : 0;
}

// YYYY-MM-DD, optionally followed by a time and a zone.
size_t MatchDate(std::string_view s, size_t i) {
  auto digits = [&](size_t at, size_t n) { return Run(s, at, n, IsDigit) == n; };
  if (!digits(i, 4) || i + 10 > s.size() || s[i + 4] != '-' || !digits(i + 5, 2) ||
      s[i + 7] != '-' || !digits(i + 8, 2)) {
    return 0;
  }
  size_t pos = i + 10;
  if (pos + 6 <= s.size() && (s[pos] == 'T' || s[pos] == ' ') && digits(pos + 1, 2) &&
      s[pos + 3] == ':' && digits(pos + 4, 2)) {
    pos += 6;
    if (pos + 3 <= s.size() && s[pos] == ':' && digits(pos + 1, 2)) pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      size_t n = Run(s, pos + 1, SIZE_MAX, IsDigit);
      if (n > 0) pos += n + 1;
    }
    if (pos < s.size() && s[pos] == 'Z') {
      ++pos;
    } else if (pos + 3 <= s.size() && (s[pos] == '+' || s[pos] == '-') && digits(pos + 1, 2)) {
      pos += 3;
      if (pos + 3 <= s.size() && s[pos] == ':' && digits(pos + 1, 2)) {
        pos += 3;
      } else if (digits(pos, 2)) {
        pos += 2;
      }
    }
  }
  return EndsWord(s, pos) ? pos - i : 0;
}

}  // namespace

std::string ParameterizeMessage(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const bool word_start = IsWord(s[i]) && (i == 0 || !IsWord(s[i - 1]));
    if (!word_start) {
      out.push_back(s[i++]);
      continue;
    }
    size_t n = 0;
    if ((n = MatchUuid(s, i)) > 0) {
      out += "<uuid>";
      i += n;
    } else if ((n = MatchHexLiteral(s, i)) > 0) {
      out += "<hex>";
      i += n;
    } else if ((n = MatchDate(s, i)) > 0) {
      out += "<date>";
      i += n;
    } else if ((n = MatchIpv4(s, i)) > 0) {
      out += "<ip>";
      i += n;
    } else {
      n = Run(s, i, SIZE_MAX, IsWord);
      std::string_view token = s.substr(i, n);
      size_t digits = Run(token, 0, SIZE_MAX, IsDigit);
      size_t hex = Run(token, 0, SIZE_MAX, IsHex);
      if (digits == n) {
        // A fraction belongs to the number: "1.5s" -> "<float>s".
        size_t frac = 0;
        if (i + n + 1 < s.size() && s[i + n] == '.' && IsDigit(s[i + n + 1])) {
          frac = 1 + Run(s, i + n + 1, SIZE_MAX, IsDigit);
        }
        out += frac > 0 ? "<float>" : "<int>";
        n += frac;
      } else if (hex == n && n >= 8 && token.find_first_of("0123456789") != token.npos) {
        out += "<hash>";
      } else if (digits > 0 && std::all_of(token.begin() + digits, token.end(), [](char c) {
                   return std::isalpha(static_cast<unsigned char>(c)) != 0;
                 })) {
        // A number with a unit: "3000ms", "512KB".
        out += "<int>";
        out.append(token.substr(digits));
      } else {
        out.append(token);
      }
      i += n;
    }
  }
  return out;
}

}  // namespace ferry::event
