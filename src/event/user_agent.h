// User-Agent parsing with the uap-core regexes (the ones Relay uses): which browser, operating
// system and device sent an event, so that events from browsers and HTTP servers get browser,
// os and device contexts and tags (docs/normalization.md).
//
// The regexes file (Debian's uap-core package) is compiled once with RE2, whose matching time
// is linear in the input, so a hostile User-Agent cannot make it backtrack; each list is also
// compiled into one RE2::Set, so a string not seen before costs one pass per list (about
// 20 µs), not a thousand regex matches (about 1 ms). Compiled, it takes about 30 MB. Results are
// kept in a bounded cache keyed by the User-Agent string: real traffic repeats a handful of
// strings, so most events cost one hash lookup, under a lock that readers share (eviction is
// second-chance: an entry used since the last sweep stays). Thread-safe.
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace ferry::event {

// Debian's uap-core puts the regexes here.
inline constexpr char kDefaultUserAgentRegexes[] = "/usr/share/uap-core/regexes.yaml";

struct UserAgentInfo {
  struct Version {
    std::string family;  // "" when unknown (uap-core's "Other")
    std::string major, minor, patch;
    // "major.minor.patch" as far as the parts go, the way Relay writes context versions.
    std::string Joined() const;
  };
  Version browser;
  Version os;
  std::string device_family;  // "" when unknown
  std::string device_brand;
  std::string device_model;
};

struct UserAgentStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  size_t patterns = 0;  // compiled
  size_t skipped = 0;   // patterns RE2 could not compile (left out, counted)
  size_t max_mem = 0;   // the most RE2 may hold for all patterns together, in bytes
};

class UserAgentParser {
 public:
  // Reads and compiles the regexes at `path`. Errors: kNotFound when the file is missing,
  // kInvalidArgument when it is not uap-core's format or holds no usable pattern.
  static base::Result<std::unique_ptr<UserAgentParser>> Load(const std::string& path,
                                                             size_t cache_entries = 4096);
  ~UserAgentParser();

  // The parse of `user_agent` (at most kMaxUserAgentBytes of it are read). Never null.
  std::shared_ptr<const UserAgentInfo> Parse(std::string_view user_agent) const;

  UserAgentStats stats() const;

  static constexpr size_t kMaxUserAgentBytes = 512;

 private:
  struct Rule {
    std::unique_ptr<re2::RE2> re;
    // Replacements with "$1".."$9" for the capture groups; empty = use the default group.
    std::string replacements[4];
  };
  explicit UserAgentParser(size_t cache_entries);
  UserAgentInfo ParseUncached(std::string_view user_agent) const;

  // One list of uap-core: its rules in order, and all their patterns in one RE2::Set, which
  // finds the first rule that matches in one pass over the string (the set falls back to
  // trying the rules in order when its DFA runs out of memory).
  struct RuleList {
    std::vector<Rule> rules;
    std::unique_ptr<re2::RE2::Set> set;
    const Rule* FirstMatch(const re2::StringPiece& text, re2::StringPiece* groups,
                           int* ngroups) const;
  };
  RuleList browsers_, oses_, devices_;
  size_t skipped_ = 0;
  size_t max_mem_ = 0;

  struct Entry {
    std::shared_ptr<const UserAgentInfo> info;
    mutable std::atomic<bool> used{false};  // set by readers under the shared lock
  };
  const size_t cache_entries_;
  mutable std::shared_mutex mu_;
  struct StringHash {
    using is_transparent = void;  // found by string_view: no copy of the header per lookup
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  mutable std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>
      cache_;  // GUARDED_BY(mu_)
  mutable std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace ferry::event
