#include "config/expand.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace ferry::config::internal {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string Expand(std::string_view text) {
  auto out = ExpandEnv(text, Env({{"A", "alpha"}, {"EMPTY", ""}, {"_X1", "x"}}));
  return out.ok() ? *out : "ERROR: " + out.status().detail();
}

TEST(ExpandEnvTest, ReplacesVariables) {
  EXPECT_EQ(Expand("${A}"), "alpha");
  EXPECT_EQ(Expand("pre-${A}-${_X1}-post"), "pre-alpha-x-post");
  EXPECT_EQ(Expand("no variables"), "no variables");
  EXPECT_EQ(Expand(""), "");
}

TEST(ExpandEnvTest, UnsetVariableWithoutDefaultIsEmpty) { EXPECT_EQ(Expand("[${UNSET}]"), "[]"); }

TEST(ExpandEnvTest, DefaultAppliesWhenUnsetOrEmpty) {
  EXPECT_EQ(Expand("${UNSET:-fallback}"), "fallback");
  EXPECT_EQ(Expand("${EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(Expand("${A:-fallback}"), "alpha");
  EXPECT_EQ(Expand("${UNSET:-}"), "");
  EXPECT_EQ(Expand("${UNSET:-a:b/c d}"), "a:b/c d");
}

TEST(ExpandEnvTest, DoubleDollarBraceIsALiteral) {
  EXPECT_EQ(Expand("$${A}"), "${A}");
  EXPECT_EQ(Expand("$$${A}"), "$${A}") << "a plain '$', then the literal \"${\"";
  EXPECT_EQ(Expand("cost $5, $A, $$"), "cost $5, $A, $$");
  EXPECT_EQ(Expand("trailing $"), "trailing $");
}

TEST(ExpandEnvTest, MalformedReferencesAreErrors) {
  EXPECT_THAT(Expand("${A"), HasSubstr("unterminated \"${\""));
  EXPECT_THAT(Expand("${}"), HasSubstr("bad variable name"));
  EXPECT_THAT(Expand("${1A}"), HasSubstr("bad variable name"));
  EXPECT_THAT(Expand("${A-x}"), HasSubstr("use ${VAR} or ${VAR:-default}"));
  EXPECT_THAT(Expand("${A B}"), HasSubstr("unsupported"));
}

TEST(ExpandEnvTest, ExpansionIsNotRecursive) {
  auto out = ExpandEnv("${V}", Env({{"V", "${A}"}, {"A", "alpha"}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "${A}");
}

TEST(ExpandEnvTest, EscapeEnvRoundTrips) {
  for (std::string_view text : {"plain", "${A}", "$${A}", "$$${A}", "a${b}c${", "$", "${"}) {
    auto out = ExpandEnv(EscapeEnv(text), Env({{"A", "alpha"}}));
    ASSERT_TRUE(out.ok()) << text;
    EXPECT_EQ(*out, text);
  }
}

}  // namespace
}  // namespace ferry::config::internal
