#include "event/user_agent.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

namespace ferry::event {

namespace {

// RE2 memory per pattern (its program and its DFA cache, which RE2 resets rather than grows
// past it; a search that would need more uses the slower NFA): the smallest of these steps
// that compiles the pattern, so that the thousand patterns together stay within a few tens of
// megabytes however hostile the strings they see.
constexpr int64_t kMemSteps[] = {32 << 10, 128 << 10, 1 << 20};
// And for each list's set of all its patterns: with less, the device list's DFA runs out on
// strings it has not seen and every such string is matched rule by rule (about 1 ms instead
// of about 20 µs).
constexpr int64_t kSetMem = 32 << 20;
constexpr int kMaxGroups = 10;

// uap-core's replacements: "$1".."$9" stand for capture groups; the result is trimmed.
std::string Substitute(const std::string& templ, const re2::StringPiece* groups, int ngroups) {
  std::string out;
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] == '$' && i + 1 < templ.size() && templ[i + 1] >= '1' && templ[i + 1] <= '9') {
      int g = templ[i + 1] - '0';
      if (g < ngroups && groups[g].data() != nullptr)
        out.append(groups[g].data(), groups[g].size());
      ++i;
    } else {
      out.push_back(templ[i]);
    }
  }
  size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

std::string Group(const re2::StringPiece* groups, int ngroups, int g) {
  if (g >= ngroups || groups[g].data() == nullptr) return "";
  return std::string(groups[g].data(), groups[g].size());
}

// The replacement when the rule has one, else the capture group `g`.
std::string Field(const std::string& replacement, const re2::StringPiece* groups, int ngroups,
                  int g) {
  if (!replacement.empty()) return Substitute(replacement, groups, ngroups);
  return g > 0 ? Group(groups, ngroups, g) : "";
}

std::string Known(std::string family) { return family == "Other" ? "" : std::move(family); }

}  // namespace

std::string UserAgentInfo::Version::Joined() const {
  if (major.empty()) return "";
  std::string v = major;
  if (!minor.empty()) {
    v += "." + minor;
    if (!patch.empty()) v += "." + patch;
  }
  return v;
}

UserAgentParser::UserAgentParser(size_t cache_entries)
    : cache_entries_(cache_entries == 0 ? 1 : cache_entries) {}

UserAgentParser::~UserAgentParser() = default;

base::Result<std::unique_ptr<UserAgentParser>> UserAgentParser::Load(const std::string& path,
                                                                     size_t cache_entries) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return base::NotFound("no file " + path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    return base::InvalidArgument(path + ": " + e.what());
  }
  std::unique_ptr<UserAgentParser> parser(new UserAgentParser(cache_entries));
  struct Section {
    const char* name;
    RuleList* list;
    const char* keys[4];
  };
  const Section sections[] = {
      {"user_agent_parsers",
       &parser->browsers_,
       {"family_replacement", "v1_replacement", "v2_replacement", "v3_replacement"}},
      {"os_parsers",
       &parser->oses_,
       {"os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement"}},
      {"device_parsers",
       &parser->devices_,
       {"device_replacement", "brand_replacement", "model_replacement", nullptr}},
  };
  try {
    for (const Section& section : sections) {
      const YAML::Node list = root[section.name];
      if (!list || !list.IsSequence()) continue;
      for (const YAML::Node& item : list) {
        if (!item.IsMap() || !item["regex"]) continue;
        re2::RE2::Options options;
        options.set_log_errors(false);
        const YAML::Node flag = item["regex_flag"];
        if (flag && flag.as<std::string>() == "i") options.set_case_sensitive(false);
        const std::string pattern = item["regex"].as<std::string>();
        std::unique_ptr<re2::RE2> re;
        for (int64_t mem : kMemSteps) {
          options.set_max_mem(mem);
          re = std::make_unique<re2::RE2>(pattern, options);
          if (re->ok()) {
            parser->max_mem_ += static_cast<size_t>(mem);
            break;
          }
        }
        if (!re->ok()) {
          ++parser->skipped_;
          continue;
        }
        Rule rule{std::move(re), {}};
        for (int i = 0; i < 4; ++i) {
          if (section.keys[i] != nullptr && item[section.keys[i]]) {
            rule.replacements[i] = item[section.keys[i]].as<std::string>();
          }
        }
        section.list->rules.push_back(std::move(rule));
      }
      // The set's index of a pattern is its rule's; one that does not go in leaves no set.
      re2::RE2::Options set_options;
      set_options.set_log_errors(false);
      set_options.set_max_mem(kSetMem);
      auto set = std::make_unique<re2::RE2::Set>(set_options, re2::RE2::UNANCHORED);
      bool complete = true;
      for (size_t i = 0; i < section.list->rules.size() && complete; ++i) {
        const re2::RE2& re = *section.list->rules[i].re;
        std::string pattern = re.options().case_sensitive() ? re.pattern() : "(?i)" + re.pattern();
        complete = set->Add(pattern, nullptr) == static_cast<int>(i);
      }
      if (complete && set->Compile()) {
        section.list->set = std::move(set);
        parser->max_mem_ += static_cast<size_t>(kSetMem);
      }
    }
  } catch (const std::exception& e) {
    return base::InvalidArgument(path + ": " + e.what());
  }
  if (parser->browsers_.rules.empty() && parser->oses_.rules.empty() &&
      parser->devices_.rules.empty()) {
    return base::InvalidArgument(path + " holds no user agent patterns");
  }
  return parser;
}

const UserAgentParser::Rule* UserAgentParser::RuleList::FirstMatch(const re2::StringPiece& text,
                                                                   re2::StringPiece* groups,
                                                                   int* ngroups) const {
  auto try_rule = [&](const Rule& rule) {
    int n = std::min(rule.re->NumberOfCapturingGroups() + 1, kMaxGroups);
    if (!rule.re->Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups, n)) return false;
    *ngroups = n;
    return true;
  };
  if (set) {
    std::vector<int> matched;
    re2::RE2::Set::ErrorInfo error{};
    if (set->Match(text, &matched, &error)) {
      if (matched.empty()) return nullptr;
      const Rule& first = rules[*std::min_element(matched.begin(), matched.end())];
      if (try_rule(first)) return &first;
    } else if (error.kind == re2::RE2::Set::kNoError) {
      return nullptr;  // no pattern matches
    }
    // Out of memory (or a disagreement, which should not happen): the rules one by one.
  }
  for (const Rule& rule : rules) {
    if (try_rule(rule)) return &rule;
  }
  return nullptr;
}

UserAgentInfo UserAgentParser::ParseUncached(std::string_view ua) const {
  UserAgentInfo info;
  re2::StringPiece text(ua.data(), ua.size());
  re2::StringPiece groups[kMaxGroups];
  auto first_match = [&](const RuleList& list, int* ngroups) {
    return list.FirstMatch(text, groups, ngroups);
  };
  int n = 0;
  if (const Rule* r = first_match(browsers_, &n)) {
    info.browser.family = Known(Field(r->replacements[0], groups, n, 1));
    info.browser.major = Field(r->replacements[1], groups, n, 2);
    info.browser.minor = Field(r->replacements[2], groups, n, 3);
    info.browser.patch = Field(r->replacements[3], groups, n, 4);
  }
  if (const Rule* r = first_match(oses_, &n)) {
    info.os.family = Known(Field(r->replacements[0], groups, n, 1));
    info.os.major = Field(r->replacements[1], groups, n, 2);
    info.os.minor = Field(r->replacements[2], groups, n, 3);
    info.os.patch = Field(r->replacements[3], groups, n, 4);
  }
  if (const Rule* r = first_match(devices_, &n)) {
    info.device_family = Known(Field(r->replacements[0], groups, n, 1));
    info.device_brand = Field(r->replacements[1], groups, n, 0);
    info.device_model = Field(r->replacements[2], groups, n, 1);
  }
  if (info.browser.family.empty()) info.browser = {};
  if (info.os.family.empty()) info.os = {};
  if (info.device_family.empty()) info.device_brand = info.device_model = "";
  return info;
}

std::shared_ptr<const UserAgentInfo> UserAgentParser::Parse(std::string_view ua) const {
  ua = ua.substr(0, kMaxUserAgentBytes);
  {
    std::shared_lock lock(mu_);
    if (auto it = cache_.find(ua); it != cache_.end()) {
      it->second.used.store(true, std::memory_order_relaxed);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second.info;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto info = std::make_shared<const UserAgentInfo>(ParseUncached(ua));
  std::unique_lock lock(mu_);
  if (cache_.size() >= cache_entries_ && !cache_.contains(ua)) {
    // Second chance: the first entry not used since the last sweep goes; the ones passed over
    // lose their mark. Two rounds at most find one.
    for (auto it = cache_.begin(); cache_.size() >= cache_entries_;) {
      if (it == cache_.end()) it = cache_.begin();
      if (it->second.used.exchange(false, std::memory_order_relaxed)) {
        ++it;
      } else {
        it = cache_.erase(it);
      }
    }
  }
  cache_.try_emplace(std::string(ua)).first->second.info = info;
  return info;
}

UserAgentStats UserAgentParser::stats() const {
  return {hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed),
          browsers_.rules.size() + oses_.rules.size() + devices_.rules.size(), skipped_, max_mem_};
}

}  // namespace ferry::event
