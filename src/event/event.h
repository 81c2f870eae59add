// The normalized form of a Sentry error event: what the built-in store keeps, groups and shows.
//
// Normalize() (normalize.h) turns the raw JSON an SDK sends into a NormalizedEvent;
// ComputeGrouping() (grouping.h) derives the issue it belongs to. Both are pure: no I/O, no
// clock (the receive time is passed in), no globals. Every string and list here is bounded by
// NormalizeOptions, so a NormalizedEvent is always safe to store and render.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::event {

enum class Level { kFatal, kError, kWarning, kInfo, kDebug };

// "fatal", "error", "warning", "info", "debug".
std::string_view LevelName(Level level);

// Reads a level the way Relay does: case-insensitive names with the aliases "warn", "critical"
// and "log", or Python logging numbers (10 debug ... 50 fatal). nullopt when unrecognized.
std::optional<Level> ParseLevelName(std::string_view text);

// One stack frame. Frames are kept in the order SDKs send them: oldest call first, so the
// frame that raised is the last one.
struct Frame {
  std::string filename;
  std::string abs_path;
  std::string module;
  std::string function;
  std::string package;           // native image or Dart/Java package
  std::string platform;          // per-frame platform when it differs from the event's
  std::string instruction_addr;  // native only; shown, never used for grouping
  std::optional<int64_t> lineno;
  std::optional<int64_t> colno;
  // As sent, or inferred from well-known library paths (node_modules, dart:, site-packages).
  // nullopt means "unknown", which grouping treats as not in-app.
  std::optional<bool> in_app;
  std::string context_line;
  std::vector<std::string> pre_context;
  std::vector<std::string> post_context;
  std::string vars_json;  // bounded JSON text, empty when absent
  // The filename is UrlPath(abs_path), made from the URL the SDK sent (so storing it again
  // is not needed).
  bool filename_from_url = false;
};

struct Stacktrace {
  std::vector<Frame> frames;
  size_t frames_omitted = 0;  // middle frames dropped to respect max_frames
};

struct ExceptionValue {
  std::string type;
  std::string value;
  std::string module;
  std::string mechanism_type;
  std::optional<bool> handled;  // mechanism.handled
  bool synthetic = false;       // mechanism.synthetic: the type and value are not meaningful
  std::optional<Stacktrace> stacktrace;
};

struct KeyValue {
  std::string key;
  std::string value;
};

struct User {
  std::string id;
  std::string email;
  std::string username;
  std::string name;
  std::string ip_address;
};

struct Request {
  std::string url;
  std::string method;
  std::string query_string;
  std::vector<KeyValue> headers;
  std::string data;  // a bounded summary: the body text, or compact JSON of structured data
  std::string env_remote_addr;  // env.REMOTE_ADDR, which fills a missing user.ip_address
};

// A repair made while normalizing, in Relay's terms: `type` is its error name
// ("past_timestamp", "invalid_data", "value_too_long", ...), `name` the field's path
// ("timestamp", "tags.os"), `value` what was sent when it is worth showing.
struct EventError {
  std::string type;
  std::string name;
  std::string value;
};

// What Sentry keeps beside the title to describe an issue: for errors the crashing
// exception's type and value and the crashing frame's file and function, for other events
// the title.
struct Metadata {
  std::string type;
  std::string value;
  std::string filename;
  std::string function;
  std::string title;
};

struct Breadcrumb {
  std::string timestamp;  // RFC 3339, empty when absent or unreadable
  std::string type;       // "default" when absent
  std::string category;
  std::string level;  // a LevelName; "info" when absent
  std::string message;
  std::string data_json;  // bounded JSON text, empty when absent
};

struct Sdk {
  std::string name;
  std::string version;
};

struct NormalizedEvent {
  std::string event_id;  // 32 lowercase hex digits
  std::chrono::system_clock::time_point timestamp;
  std::chrono::system_clock::time_point received;
  std::string type;  // "error" when there is an exception, else "default"
  Level level = Level::kError;
  std::string platform;
  std::string logger;
  std::string transaction;
  std::string server_name;
  std::string release;
  std::string dist;
  std::string environment;
  std::string site;

  std::string message;           // formatted text shown to people
  std::string message_template;  // logentry.message before formatting; used for grouping

  // Oldest cause first, as SDKs send them; the last one is what Sentry shows and titles.
  std::vector<ExceptionValue> exceptions;
  // The crashed (or current) thread's stack, kept only when no exception carries one.
  std::optional<Stacktrace> thread_stacktrace;

  // The SDK's tags (validated) followed by the ones Sentry derives (level, release, user,
  // context tags, ...), which replace a sent tag of the same key. Keys unique.
  std::vector<KeyValue> tags;
  User user;
  Request request;
  // Bounded JSON object text, empty when absent; includes the browser, os and device
  // contexts read from the request's User-Agent when the SDK sent none.
  std::string contexts_json;
  std::string extra_json;               // bounded JSON object text, empty when absent
  std::vector<Breadcrumb> breadcrumbs;  // the most recent ones, oldest first
  size_t breadcrumbs_dropped = 0;
  Sdk sdk;
  std::vector<std::string> fingerprint;  // empty when the SDK sent none

  std::string title;
  std::string culprit;
  Metadata metadata;  // metadata.filename is what Sentry calls the event's location

  // Repairs made while normalizing, so the UI can say why a value differs from what the SDK
  // sent; the event API answers them as `errors`.
  std::vector<EventError> errors;

  // The whole event as compact JSON, at most NormalizeOptions::max_normalized_bytes.
  std::string normalized_json;
};

// "2024-05-01T12:30:00.123456Z": UTC, microseconds.
std::string FormatRfc3339(std::chrono::system_clock::time_point tp);

// The last exception that has a stack trace with frames, or nullptr.
const ExceptionValue* LastExceptionWithFrames(const NormalizedEvent& event);

// The stack trace that best describes where the event happened: the last exception's, else
// the thread stack trace; nullptr when there is none.
const Stacktrace* PrimaryStacktrace(const NormalizedEvent& event);

}  // namespace ferry::event
