// Standard base64 (RFC 4648, with padding), used for binary attachment data in backups.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::store {

std::string Base64Encode(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ferry::store
