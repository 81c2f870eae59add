#include "store/credentials.h"

#include <gtest/gtest.h>

#include "store/base64.h"

namespace ferry::store {
namespace {

TEST(CredentialsTest, PasswordHashVerifiesOnlyTheRightPassword) {
  auto hash = HashPassword("correct horse");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse!", *hash));
  EXPECT_FALSE(VerifyPassword("", ""));
  EXPECT_FALSE(VerifyPassword("x", "not a hash"));
  EXPECT_NE(*HashPassword("correct horse"), *hash);  // salted
  EXPECT_EQ(HashPassword("").status().code(), base::Code::kInvalidArgument);
}

TEST(CredentialsTest, TokensAndKeysAreRandomLowercaseHex) {
  std::string token = NewToken();
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(NewToken(), token);
  std::string key = NewPublicKey();
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(CredentialsTest, TokenSha256IsTheStandardDigest) {
  EXPECT_EQ(TokenSha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Base64Test, RoundTripsBinaryAndRejectsGarbage) {
  std::string binary("\0\x01\xfe\xff abc\n", 8);
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Decode(Base64Encode(binary)), binary);
  EXPECT_EQ(Base64Decode(""), std::string());
  EXPECT_FALSE(Base64Decode("!!!!").has_value());
  EXPECT_FALSE(Base64Decode("YWJ").has_value());
}

}  // namespace
}  // namespace ferry::store
