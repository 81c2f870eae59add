#include "protocol/envelope.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/strings.h"

namespace ferry::protocol {
namespace {

using base::InvalidArgument;

// The line starting at `pos`: up to the next '\n' (not included) or the end. A '\r' before
// the '\n' is not part of the line, so CRLF envelopes parse like LF ones.
std::string_view LineAt(std::string_view bytes, size_t pos) {
  size_t nl = bytes.find('\n', pos);
  std::string_view line = bytes.substr(pos, nl == std::string_view::npos ? bytes.npos : nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Position just past the line starting at `pos` (past its '\n', or the end).
size_t NextLine(std::string_view bytes, size_t pos) {
  size_t nl = bytes.find('\n', pos);
  return nl == std::string_view::npos ? bytes.size() : nl + 1;
}

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

struct Splice {
  size_t begin;
  size_t end;
  std::string text;
};

// Reads the `length` member as a byte count. `present` is false when it is missing or null
// (serializers that write optional fields as null mean "no length").
base::Status ReadLength(const EnvelopeItem& item, bool& present, uint64_t& length) {
  present = false;
  const JsonField* f = FindField(item.fields, "length");
  if (f == nullptr || f->kind == JsonKind::kNull) return base::Status::Ok();
  std::string_view digits = item.header.substr(f->value_begin, f->value_end - f->value_begin);
  if (f->kind != JsonKind::kNumber || digits.empty() || digits[0] == '-') {
    return InvalidArgument("item length is not a non-negative integer");
  }
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return InvalidArgument("item length is not a non-negative integer");
    // Saturate: any length this large runs past the body anyway.
    value = value > UINT64_MAX / 20 ? UINT64_MAX / 2 : value * 10 + static_cast<uint64_t>(c - '0');
  }
  present = true;
  length = value;
  return base::Status::Ok();
}

}  // namespace

base::Result<EnvelopeHeader> ParseEnvelopeHeader(std::string_view envelope) {
  if (envelope.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("empty envelope");
  }
  EnvelopeHeader header;
  header.line = LineAt(envelope, 0);
  auto fields = ScanJsonObject(header.line);
  if (!fields.ok()) {
    if (fields.status().detail() == kJsonNotAnObject) {
      return InvalidArgument("envelope header is not a JSON object");
    }
    return InvalidArgument("envelope header is not valid JSON");
  }
  header.fields = std::move(fields).value();
  return header;
}

std::string RewriteEnvelopeHeader(std::string_view envelope, const EnvelopeHeader& header,
                                  const HeaderRewrite& rewrite) {
  std::string out = RewriteHeaderLine(header, rewrite, envelope.size() - header.line.size());
  // Everything after the header line, its line break included, is copied byte for byte.
  out.append(envelope.substr(std::min(header.line.size(), envelope.size())));
  return out;
}

std::string RewriteHeaderLine(const EnvelopeHeader& header, const HeaderRewrite& rewrite,
                              size_t reserve_extra) {
  std::string_view line = header.line;
  std::vector<Splice> splices;
  bool has_dsn = false;
  for (const JsonField& f : header.fields) {
    // Every duplicate is rewritten: a downstream parser that keeps the first occurrence must not
    // see the old DSN or key.
    if (f.key == "dsn" && rewrite.dsn) {
      has_dsn = true;
      splices.push_back({f.value_begin, f.value_end, base::JsonQuote(*rewrite.dsn)});
    } else if (f.key == "trace" && rewrite.trace_public_key && f.kind == JsonKind::kObject) {
      std::string_view trace = line.substr(f.value_begin, f.value_end - f.value_begin);
      auto members = ScanJsonObject(trace);
      if (!members.ok()) continue;  // cannot happen: the header scan validated it
      for (const JsonField& m : *members) {
        if (m.key != "public_key") continue;
        splices.push_back({f.value_begin + m.value_begin, f.value_begin + m.value_end,
                           base::JsonQuote(*rewrite.trace_public_key)});
      }
    }
  }
  if (rewrite.dsn && !has_dsn) {
    size_t close = line.rfind('}');
    if (close != std::string_view::npos) {
      std::string member = header.fields.empty() ? "" : ",";
      member += "\"dsn\":" + base::JsonQuote(*rewrite.dsn);
      splices.push_back({close, close, std::move(member)});
    }
  }
  std::sort(splices.begin(), splices.end(),
            [](const Splice& a, const Splice& b) { return a.begin < b.begin; });

  std::string out;
  size_t extra = 0;
  for (const Splice& s : splices) extra += s.text.size();
  out.reserve(line.size() + extra + reserve_extra);
  size_t pos = 0;
  for (const Splice& s : splices) {
    out.append(line.substr(pos, s.begin - pos));
    out.append(s.text);
    pos = s.end;
  }
  out.append(line.substr(pos));
  return out;
}

base::Result<Envelope> ParseEnvelope(std::string_view bytes) {
  auto header = ParseEnvelopeHeader(bytes);
  if (!header.ok()) return header.status();
  Envelope envelope;
  envelope.header = std::move(header).value();

  size_t pos = NextLine(bytes, 0);
  while (pos < bytes.size()) {
    std::string_view line = LineAt(bytes, pos);
    // Blank lines where an item header is expected are skipped, as some SDKs leave them
    // between items and at the end.
    if (IsBlank(line)) {
      pos = NextLine(bytes, pos);
      continue;
    }
    EnvelopeItem item;
    item.header = line;
    auto fields = ScanJsonObject(line);
    if (!fields.ok()) return InvalidArgument("envelope item header is not a JSON object");
    item.fields = std::move(fields).value();
    if (const JsonField* type = FindField(item.fields, "type");
        type && type->kind == JsonKind::kString) {
      item.type = type->string_value;
    }
    pos = NextLine(bytes, pos);

    bool has_length = false;
    uint64_t length = 0;
    FERRY_RETURN_IF_ERROR(ReadLength(item, has_length, length));
    if (has_length) {
      if (length > bytes.size() - pos) {
        return InvalidArgument("item length runs past the end of the envelope");
      }
      item.payload = bytes.substr(pos, length);
      pos += length;
      // The payload may be followed by a line break (LF or CRLF) or the end of the body.
      if (pos < bytes.size() && bytes[pos] == '\r' && pos + 1 < bytes.size() &&
          bytes[pos + 1] == '\n') {
        ++pos;
      }
      if (pos < bytes.size()) {
        if (bytes[pos] != '\n') return InvalidArgument("missing newline after item payload");
        ++pos;
      }
    } else {
      item.payload = pos < bytes.size() ? LineAt(bytes, pos) : std::string_view();
      pos = NextLine(bytes, pos);
    }
    envelope.items.push_back(std::move(item));
  }
  return envelope;
}

std::string SerializeEnvelope(std::string_view header_json, const std::vector<ItemOut>& items) {
  std::string out;
  size_t size = header_json.size() + 1;
  for (const ItemOut& item : items) size += item.header_json.size() + item.payload.size() + 32;
  out.reserve(size);
  out.append(header_json);
  out += '\n';
  for (const ItemOut& item : items) {
    std::string_view h = base::Trim(item.header_json);
    std::string length = "\"length\":" + std::to_string(item.payload.size());
    size_t close = h.rfind('}');
    if (h.empty() || h.front() != '{' || close == std::string_view::npos) {
      // REQUIRES says header_json is an object; still never write an unparseable envelope.
      out += "{" + length + "}";
    } else {
      std::string_view inner = base::Trim(h.substr(1, close - 1));
      out.append(h.substr(0, close));
      if (!inner.empty()) out += ',';
      out += length;
      out.append(h.substr(close));
    }
    out += '\n';
    out.append(item.payload);
    out += '\n';
  }
  return out;
}

}  // namespace ferry::protocol
