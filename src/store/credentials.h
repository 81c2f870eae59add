// Secrets: password hashes, API tokens and DSN public keys, all from libsodium. Tokens are
// shown once and stored only as their SHA-256, so a leaked database does not leak tokens.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::store {

// argon2id with libsodium's "interactive" limits, in crypto_pwhash_str's self-describing
// format. Errors: kInvalidArgument for an empty password; kInternal when out of memory.
base::Result<std::string> HashPassword(std::string_view password);
// Constant-time check of `password` against a HashPassword result; false for "" or a hash
// that is not in that format.
bool VerifyPassword(std::string_view password, const std::string& hash);

// 32 random bytes as 64 lowercase hex characters.
std::string NewToken();
// SHA-256 of `token` as 64 lowercase hex characters (what the store keeps).
std::string TokenSha256(std::string_view token);
// A DSN public key: 16 random bytes as 32 lowercase hex characters.
std::string NewPublicKey();

}  // namespace ferry::store
