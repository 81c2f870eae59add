#include "event/serialize.h"

#include <string_view>

#include "base/strings.h"

namespace ferry::event::internal {

namespace {

// Appends compact JSON; tracks whether a comma is due at each nesting level.
class Writer {
 public:
  // Most normalized events fit; one allocation instead of a dozen doublings.
  Writer() { out_.reserve(4096); }
  std::string Take() { return std::move(out_); }

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // Keys are the member names of this file, plain ASCII: they need no escaping.
  void Key(std::string_view key) {
    Comma();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    after_key_ = true;
  }
  void String(std::string_view s) {
    Comma();
    base::AppendJsonEscaped(out_ += '"', s);
    out_ += '"';
  }
  void Raw(std::string_view json) {
    Comma();
    out_ += json;
  }
  // Members with empty values are left out to keep stored rows small.
  void Field(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    Key(key);
    String(value);
  }
  void RawField(std::string_view key, std::string_view json) {
    if (json.empty()) return;
    Key(key);
    Raw(json);
  }

 private:
  void Open(char c) {
    Comma();
    out_ += c;
    first_ = true;
  }
  void Close(char c) {
    out_ += c;
    first_ = false;
  }
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

// How much detail to keep; each level drops more than the one before.
enum Detail {
  kFull = 0,
  kNoFrameContext = 1,  // drop frame vars and pre/post context
  kNoCrumbData = 2,     // drop breadcrumb data
  kNoCrumbs = 3,        // drop breadcrumbs, extra, contexts, request headers and data
  kFewFrames = 4,       // keep the last 3 exceptions and their last 10 frames
  kIdentityOnly = 5,    // event_id, timestamps, level, platform, title, culprit
};

void WriteLines(Writer& w, std::string_view key, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  w.Key(key);
  w.BeginArray();
  for (const auto& line : lines) w.String(line);
  w.EndArray();
}

void WriteFrame(Writer& w, const Frame& f, Detail detail) {
  w.BeginObject();
  // Each is left out when the other gives it (the reader fills it back, see serialize.h): most
  // frames repeat one in the other, which cost a tenth of a browser event's stored bytes.
  if (!f.filename_from_url) w.Field("filename", f.filename);
  if (f.abs_path != f.filename) w.Field("abs_path", f.abs_path);
  w.Field("module", f.module);
  w.Field("function", f.function);
  w.Field("package", f.package);
  w.Field("platform", f.platform);
  w.Field("instruction_addr", f.instruction_addr);
  if (f.lineno) w.RawField("lineno", std::to_string(*f.lineno));
  if (f.colno) w.RawField("colno", std::to_string(*f.colno));
  if (f.in_app) w.RawField("in_app", *f.in_app ? "true" : "false");
  w.Field("context_line", f.context_line);
  if (detail < kNoFrameContext) {
    WriteLines(w, "pre_context", f.pre_context);
    WriteLines(w, "post_context", f.post_context);
    w.RawField("vars", f.vars_json);
  }
  w.EndObject();
}

void WriteStacktrace(Writer& w, const Stacktrace& st, Detail detail) {
  constexpr size_t kFewFramesCount = 10;
  w.BeginObject();
  w.Key("frames");
  w.BeginArray();
  size_t first = 0;
  if (detail >= kFewFrames && st.frames.size() > kFewFramesCount) {
    first = st.frames.size() - kFewFramesCount;
  }
  for (size_t i = first; i < st.frames.size(); ++i) WriteFrame(w, st.frames[i], detail);
  w.EndArray();
  if (st.frames_omitted + first > 0) {
    w.RawField("frames_omitted", std::to_string(st.frames_omitted + first));
  }
  w.EndObject();
}

void WritePairs(Writer& w, std::string_view key, const std::vector<KeyValue>& pairs) {
  if (pairs.empty()) return;
  w.Key(key);
  w.BeginArray();
  for (const auto& kv : pairs) {
    w.BeginArray();
    w.String(kv.key);
    w.String(kv.value);
    w.EndArray();
  }
  w.EndArray();
}

void WriteExceptions(Writer& w, const NormalizedEvent& e, Detail detail) {
  if (e.exceptions.empty()) return;
  constexpr size_t kFewExceptions = 3;
  size_t first = 0;
  if (detail >= kFewFrames && e.exceptions.size() > kFewExceptions) {
    first = e.exceptions.size() - kFewExceptions;
  }
  w.Key("exception");
  w.BeginObject();
  w.Key("values");
  w.BeginArray();
  for (size_t i = first; i < e.exceptions.size(); ++i) {
    const ExceptionValue& x = e.exceptions[i];
    w.BeginObject();
    w.Field("type", x.type);
    w.Field("value", x.value);
    w.Field("module", x.module);
    if (!x.mechanism_type.empty() || x.handled.has_value() || x.synthetic) {
      w.Key("mechanism");
      w.BeginObject();
      w.Field("type", x.mechanism_type);
      if (x.handled) w.RawField("handled", *x.handled ? "true" : "false");
      if (x.synthetic) w.RawField("synthetic", "true");
      w.EndObject();
    }
    if (x.stacktrace) {
      w.Key("stacktrace");
      WriteStacktrace(w, *x.stacktrace, detail);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteBreadcrumbs(Writer& w, const NormalizedEvent& e, Detail detail) {
  if (e.breadcrumbs.empty() || detail >= kNoCrumbs) return;
  w.Key("breadcrumbs");
  w.BeginObject();
  w.Key("values");
  w.BeginArray();
  for (const Breadcrumb& b : e.breadcrumbs) {
    w.BeginObject();
    w.Field("timestamp", b.timestamp);
    w.Field("type", b.type);
    w.Field("category", b.category);
    w.Field("level", b.level);
    w.Field("message", b.message);
    if (detail < kNoCrumbData) w.RawField("data", b.data_json);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  if (e.breadcrumbs_dropped > 0) {
    w.RawField("breadcrumbs_dropped", std::to_string(e.breadcrumbs_dropped));
  }
}

// Sentry's metadata and location: what describes the issue even when everything else is cut.
void WriteMetadata(Writer& w, const NormalizedEvent& e) {
  const Metadata& m = e.metadata;
  w.Key("metadata");
  w.BeginObject();
  w.Field("type", m.type);
  w.Field("value", m.value);
  w.Field("filename", m.filename);
  w.Field("function", m.function);
  w.Field("title", m.title);
  w.EndObject();
  // location is metadata.filename; readers take it from there.
}

std::string Serialize(const NormalizedEvent& e, Detail detail) {
  Writer w;
  w.BeginObject();
  w.Field("event_id", e.event_id);
  w.Field("timestamp", FormatRfc3339(e.timestamp));
  w.Field("received", FormatRfc3339(e.received));
  w.Field("type", e.type);
  w.Field("level", LevelName(e.level));
  w.Field("platform", e.platform);
  w.Field("title", e.title);
  w.Field("culprit", e.culprit);
  WriteMetadata(w, e);
  if (detail >= kIdentityOnly) {
    w.RawField("_trimmed", std::to_string(static_cast<int>(detail)));
    w.EndObject();
    return w.Take();
  }
  w.Field("logger", e.logger);
  w.Field("transaction", e.transaction);
  w.Field("server_name", e.server_name);
  w.Field("release", e.release);
  w.Field("dist", e.dist);
  w.Field("environment", e.environment);
  w.Field("site", e.site);
  if (!e.message.empty() || !e.message_template.empty()) {
    w.Key("logentry");
    w.BeginObject();
    w.Field("formatted", e.message);
    if (e.message_template != e.message) w.Field("message", e.message_template);
    w.EndObject();
  }
  WriteExceptions(w, e, detail);
  if (e.thread_stacktrace) {
    w.Key("stacktrace");
    WriteStacktrace(w, *e.thread_stacktrace, detail);
  }
  // Tags are not repeated here: the store keeps them beside the payload (EventRecord::tags).
  const User& u = e.user;
  if (!u.id.empty() || !u.email.empty() || !u.username.empty() || !u.name.empty() ||
      !u.ip_address.empty()) {
    w.Key("user");
    w.BeginObject();
    w.Field("id", u.id);
    w.Field("email", u.email);
    w.Field("username", u.username);
    w.Field("name", u.name);
    w.Field("ip_address", u.ip_address);
    w.EndObject();
  }
  const Request& r = e.request;
  if (!r.url.empty() || !r.method.empty() || !r.query_string.empty() || !r.headers.empty() ||
      !r.data.empty()) {
    w.Key("request");
    w.BeginObject();
    w.Field("url", r.url);
    w.Field("method", r.method);
    w.Field("query_string", r.query_string);
    if (detail < kNoCrumbs) {
      WritePairs(w, "headers", r.headers);
      w.Field("data", r.data);
    }
    w.EndObject();
  }
  if (detail < kNoCrumbs) {
    w.RawField("contexts", e.contexts_json);
    w.RawField("extra", e.extra_json);
  }
  WriteBreadcrumbs(w, e, detail);
  if (!e.sdk.name.empty() || !e.sdk.version.empty()) {
    w.Key("sdk");
    w.BeginObject();
    w.Field("name", e.sdk.name);
    w.Field("version", e.sdk.version);
    w.EndObject();
  }
  WriteLines(w, "fingerprint", e.fingerprint);
  if (!e.errors.empty()) {
    w.Key("errors");
    w.BeginArray();
    for (const EventError& err : e.errors) {
      w.BeginObject();
      w.Field("type", err.type);
      w.Field("name", err.name);
      w.Field("value", err.value);
      w.EndObject();
    }
    w.EndArray();
  }
  if (detail > kFull) w.RawField("_trimmed", std::to_string(static_cast<int>(detail)));
  w.EndObject();
  return w.Take();
}

}  // namespace

std::string SerializeBounded(const NormalizedEvent& event, size_t max_bytes) {
  std::string out;
  for (int level = kFull; level <= kIdentityOnly; ++level) {
    out = Serialize(event, static_cast<Detail>(level));
    if (out.size() <= max_bytes) break;
  }
  return out;
}

}  // namespace ferry::event::internal
