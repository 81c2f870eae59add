// Logging: one line per event, as text (`key=value`) or as JSON objects, on stderr.
//
// Callers pass an event name and fields; formatting happens here so that the text and the JSON
// form never disagree. Never pass payloads or full keys (see MaskSecret).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace ferry::base {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

struct LogField {
  std::string_view key;
  std::string value;
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  template <typename N, typename = std::enable_if_t<std::is_arithmetic_v<N>>>
  LogField(std::string_view k, N n) : key(k), value(std::to_string(n)) {}
};

// Sets the process-wide threshold and format. Safe to call again (tests, reloads).
void InitLogging(LogLevel level, LogFormat format);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Parses "debug" | "info" | "warn" | "error"; false when unknown.
bool ParseLogLevel(std::string_view s, LogLevel* out);

}  // namespace ferry::base
