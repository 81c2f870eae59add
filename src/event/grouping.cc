#include "event/grouping.h"

#include <openssl/evp.h>

#include <string_view>

#include "base/strings.h"
#include "event/frames.h"

namespace ferry::event {

namespace {

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: OpenSSL 3 looks EVP_md5() up in its provider tables on every call, which
  // cost more than the rest of grouping together.
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  if (md5 == nullptr || EVP_Digest(data.data(), data.size(), digest, &len, md5, nullptr) != 1) {
    len = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  // Only a broken OpenSSL build lacks MD5; a constant keeps grouping total rather than failing.
  if (out.empty()) out.assign(32, '0');
  return out;
}

// Length-prefixed so that ["ab", "c"] and ["a", "bc"] hash differently.
std::string HashComponents(const std::vector<std::string>& components) {
  std::string data;
  for (const std::string& c : components) {
    data += std::to_string(c.size());
    data += ':';
    data += c;
  }
  return Md5Hex(data);
}

bool StacktraceComponents(const NormalizedEvent& event, std::vector<std::string>& out) {
  const Stacktrace* st = PrimaryStacktrace(event);
  if (st == nullptr) return false;
  bool any_in_app = false;
  for (const Frame& f : st->frames) any_in_app = any_in_app || f.in_app.value_or(false);
  std::vector<std::string> frames;
  for (const Frame& f : st->frames) {
    if (any_in_app && !f.in_app.value_or(false)) continue;
    std::string key = FrameGroupingKey(f, event.platform);
    // Consecutive identical frames are recursion; its depth must not split the group.
    if (key.empty() || (!frames.empty() && frames.back() == "frame:" + key)) continue;
    frames.push_back("frame:" + key);
  }
  if (frames.empty()) return false;
  // A thread stack (native crashes) belongs to the last exception, which carries none itself.
  const ExceptionValue* exc = LastExceptionWithFrames(event);
  if (exc == nullptr && !event.exceptions.empty()) exc = &event.exceptions.back();
  if (exc != nullptr && !exc->type.empty()) out.push_back("type:" + exc->type);
  out.insert(out.end(), frames.begin(), frames.end());
  return true;
}

// "{{ default }}" -> "default"; "" when `part` is not a variable.
std::string VariableName(std::string_view part) {
  part = base::Trim(part);
  if (!part.starts_with("{{") || !part.ends_with("}}")) return "";
  return base::AsciiLower(base::Trim(part.substr(2, part.size() - 4)));
}

}  // namespace

Grouping ComputeDefaultGrouping(const NormalizedEvent& event) {
  Grouping g;
  const ExceptionValue* last = event.exceptions.empty() ? nullptr : &event.exceptions.back();
  if (StacktraceComponents(event, g.components)) {
    g.method = "stacktrace";
  } else if (last != nullptr && (!last->type.empty() || !last->value.empty())) {
    g.method = "exception";
    if (!last->type.empty()) g.components.push_back("type:" + last->type);
    if (!last->value.empty()) g.components.push_back("value:" + ParameterizeMessage(last->value));
  } else if (!event.message_template.empty() || !event.message.empty()) {
    // The template keeps "User %s logged in" one issue however many users there are.
    const std::string& text =
        !event.message_template.empty() ? event.message_template : event.message;
    g.method = "message";
    g.components.push_back("message:" + ParameterizeMessage(text));
  } else {
    g.method = "fallback";
    g.components.push_back("fallback");
  }
  g.hash = HashComponents(g.components);
  return g;
}

Grouping ComputeGrouping(const NormalizedEvent& event) {
  Grouping fallback_default = ComputeDefaultGrouping(event);
  if (event.fingerprint.empty()) return fallback_default;
  if (event.fingerprint.size() == 1 && VariableName(event.fingerprint[0]) == "default") {
    return fallback_default;
  }
  Grouping g;
  g.method = "fingerprint";
  const ExceptionValue* last = event.exceptions.empty() ? nullptr : &event.exceptions.back();
  for (const std::string& part : event.fingerprint) {
    std::string var = VariableName(part);
    if (var == "default") {
      g.components.insert(g.components.end(), fallback_default.components.begin(),
                          fallback_default.components.end());
    } else if (var == "transaction") {
      g.components.push_back("transaction:" + event.transaction);
    } else if (var == "level") {
      g.components.push_back("level:" + std::string(LevelName(event.level)));
    } else if (var == "logger") {
      g.components.push_back("logger:" + event.logger);
    } else if (var == "message") {
      g.components.push_back("message:" + event.message);
    } else if (var == "error.type" || var == "type") {
      g.components.push_back("type:" + (last ? last->type : std::string()));
    } else if (var == "error.value" || var == "value") {
      g.components.push_back("value:" + (last ? last->value : std::string()));
    } else {
      g.components.push_back("fingerprint:" + part);
    }
  }
  g.hash = HashComponents(g.components);
  return g;
}

}  // namespace ferry::event
