#include "event/event.h"

#include <cstdio>

#include "base/strings.h"

namespace ferry::event {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kFatal:
      return "fatal";
    case Level::kError:
      return "error";
    case Level::kWarning:
      return "warning";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
  }
  return "error";
}

std::optional<Level> ParseLevelName(std::string_view text) {
  std::string name = base::AsciiLower(base::Trim(text));
  if (name == "fatal" || name == "critical" || name == "50") return Level::kFatal;
  if (name == "error" || name == "40") return Level::kError;
  if (name == "warning" || name == "warn" || name == "30") return Level::kWarning;
  if (name == "info" || name == "log" || name == "20") return Level::kInfo;
  if (name == "debug" || name == "10") return Level::kDebug;
  return std::nullopt;
}

std::string FormatRfc3339(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  auto us = time_point_cast<microseconds>(tp);
  auto day = floor<days>(us);
  year_month_day ymd{day};
  hh_mm_ss<microseconds> hms{us - day};
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

const ExceptionValue* LastExceptionWithFrames(const NormalizedEvent& event) {
  for (auto it = event.exceptions.rbegin(); it != event.exceptions.rend(); ++it) {
    if (it->stacktrace.has_value() && !it->stacktrace->frames.empty()) return &*it;
  }
  return nullptr;
}

const Stacktrace* PrimaryStacktrace(const NormalizedEvent& event) {
  if (const ExceptionValue* exc = LastExceptionWithFrames(event)) return &*exc->stacktrace;
  if (event.thread_stacktrace.has_value() && !event.thread_stacktrace->frames.empty()) {
    return &*event.thread_stacktrace;
  }
  return nullptr;
}

}  // namespace ferry::event
