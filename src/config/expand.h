// ${VAR} expansion of config values from the environment, so that secrets (mail password,
// DSN keys) need not be written into the file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::config::internal {

// Returns the variable's value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

// Expands, left to right:
//   ${VAR}          the value of VAR; an unset VAR expands to "" (like the shell, so an
//                   optional secret may simply be left unset), and validation then judges
//                   the result (an empty required value is still an error there);
//   ${VAR:-default} the value of VAR, or `default` when VAR is unset or empty (shell rules);
//                   the default is taken literally up to the first '}';
//   $${             a literal "${" (how a value that really contains "${" is written).
// A '$' not followed by '{' is kept as it is (passwords often contain '$').
// VAR is [A-Za-z_][A-Za-z0-9_]*. Errors (the reason only, no key): an unterminated "${",
// a bad variable name, another operator than ":-".
base::Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env);

// The inverse for literal text: every "${" becomes "$${", so ExpandEnv(EscapeEnv(s)) == s.
std::string EscapeEnv(std::string_view text);

}  // namespace ferry::config::internal
