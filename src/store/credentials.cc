#include "store/credentials.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>
#include <vector>

namespace ferry::store {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init fails only when no entropy source exists; nothing here can work then.
    if (sodium_init() < 0) std::abort();
  });
}

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

std::string RandomHex(size_t bytes) {
  InitSodium();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return Hex(buf.data(), buf.size());
}

}  // namespace

base::Result<std::string> HashPassword(std::string_view password) {
  if (password.empty()) return base::InvalidArgument("password is empty");
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return base::Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& hash) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  InitSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string NewToken() { return RandomHex(32); }

std::string TokenSha256(std::string_view token) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return Hex(digest, sizeof(digest));
}

std::string NewPublicKey() { return RandomHex(16); }

}  // namespace ferry::store
