// Small string helpers shared by every layer.
#pragma once

#include <string>
#include <string_view>

namespace ferry::base {

// Keys and secrets are never printed in full: the first 4 characters, then "…".
std::string MaskSecret(std::string_view secret);

std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view Trim(std::string_view s);

// Appends `s` to `out` as the inside of a JSON string (quotes not included).
void AppendJsonEscaped(std::string& out, std::string_view s);
// `s` as a quoted JSON string.
std::string JsonQuote(std::string_view s);

}  // namespace ferry::base
