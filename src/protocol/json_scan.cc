#include "protocol/json_scan.h"

#include <array>
#include <cstdint>
#include <utility>

namespace ferry::protocol {
namespace {

using base::InvalidArgument;
using base::Status;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Closer(char open) { return open == '{' ? '}' : ']'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The scanner proper. Positions are byte offsets into text_; every Parse* method advances pos_
// past what it accepted or returns false with error_ set.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  Status Run(std::vector<JsonField>& fields);

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  bool Fail(const char* why) {
    error_ = why;
    return false;
  }

  bool ParseString(std::string* out);
  bool ParseEscape(std::string* out);
  bool ParseUtf8Sequence(std::string* out);
  bool ParseHex4(uint32_t& value);
  bool ParseNumber();
  bool ParseLiteral(std::string_view word);
  bool ParseScalar(JsonField* member);
  Status Finish(bool top_is_object);
  static Status NotJson(std::string_view why) {
    return InvalidArgument("not JSON: " + std::string(why));
  }

  std::string_view text_;
  size_t pos_ = 0;
  const char* error_ = "";
};

// Positioned on the opening quote. `out`, when set, receives the unescaped value; nested
// strings are only validated so the common case allocates nothing.
bool Scanner::ParseString(std::string* out) {
  ++pos_;
  while (true) {
    // Fast path: a run of plain ASCII is validated and copied in one go.
    size_t run = pos_;
    while (run < text_.size()) {
      auto c = static_cast<unsigned char>(text_[run]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++run;
    }
    if (out != nullptr) out->append(text_.data() + pos_, run - pos_);
    pos_ = run;
    if (AtEnd()) return Fail("unterminated string");
    auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c == '\\') {
      if (!ParseEscape(out)) return false;
    } else if (c < 0x20) {
      return Fail("control character in string");
    } else if (!ParseUtf8Sequence(out)) {
      return false;
    }
  }
}

bool Scanner::ParseHex4(uint32_t& value) {
  if (text_.size() - pos_ < 4) return Fail("bad \\u escape");
  value = 0;
  for (int i = 0; i < 4; ++i) {
    int h = HexValue(text_[pos_ + i]);
    if (h < 0) return Fail("bad \\u escape");
    value = (value << 4) | static_cast<uint32_t>(h);
  }
  pos_ += 4;
  return true;
}

// Positioned on the backslash.
bool Scanner::ParseEscape(std::string* out) {
  ++pos_;
  if (AtEnd()) return Fail("unterminated string");
  char e = text_[pos_++];
  char plain = 0;
  switch (e) {
    case '"':
      plain = '"';
      break;
    case '\\':
      plain = '\\';
      break;
    case '/':
      plain = '/';
      break;
    case 'b':
      plain = '\b';
      break;
    case 'f':
      plain = '\f';
      break;
    case 'n':
      plain = '\n';
      break;
    case 'r':
      plain = '\r';
      break;
    case 't':
      plain = '\t';
      break;
    case 'u':
      break;
    default:
      return Fail("bad escape");
  }
  if (e != 'u') {
    if (out != nullptr) *out += plain;
    return true;
  }
  uint32_t cp = 0;
  if (!ParseHex4(cp)) return false;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    // A high surrogate must be followed by an escaped low one; a lone half has no UTF-8 form.
    if (text_.size() - pos_ < 2 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
      return Fail("lone high surrogate");
    }
    pos_ += 2;
    uint32_t low = 0;
    if (!ParseHex4(low)) return false;
    if (low < 0xDC00 || low > 0xDFFF) return Fail("lone high surrogate");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  if (out != nullptr) AppendUtf8(*out, cp);
  return true;
}

// Positioned on a byte >= 0x80. JSON text is UTF-8 (RFC 8259 §8.1): reject overlong forms,
// surrogates and code points past U+10FFFF so unescaped values are always valid UTF-8.
bool Scanner::ParseUtf8Sequence(std::string* out) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(text_[pos_ + i]); };
  unsigned char b0 = at(0);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return Fail("invalid UTF-8");
  }
  if (text_.size() - pos_ < len) return Fail("invalid UTF-8");
  if (at(1) < lo || at(1) > hi) return Fail("invalid UTF-8");
  for (size_t i = 2; i < len; ++i) {
    if (at(i) < 0x80 || at(i) > 0xBF) return Fail("invalid UTF-8");
  }
  if (out != nullptr) out->append(text_.data() + pos_, len);
  pos_ += len;
  return true;
}

// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
bool Scanner::ParseNumber() {
  if (text_[pos_] == '-') ++pos_;
  if (AtEnd() || !IsDigit(text_[pos_])) return Fail("bad number");
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (!AtEnd() && IsDigit(text_[pos_])) ++pos_;
  }
  if (!AtEnd() && text_[pos_] == '.') {
    ++pos_;
    if (AtEnd() || !IsDigit(text_[pos_])) return Fail("bad number");
    while (!AtEnd() && IsDigit(text_[pos_])) ++pos_;
  }
  if (!AtEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (!AtEnd() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (AtEnd() || !IsDigit(text_[pos_])) return Fail("bad number");
    while (!AtEnd() && IsDigit(text_[pos_])) ++pos_;
  }
  return true;
}

bool Scanner::ParseLiteral(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return Fail("bad literal");
  pos_ += word.size();
  return true;
}

// A string, number or literal; `member`, when set, receives its kind and unescaped string.
bool Scanner::ParseScalar(JsonField* member) {
  JsonKind kind = JsonKind::kNull;
  bool ok = false;
  switch (text_[pos_]) {
    case '"':
      kind = JsonKind::kString;
      ok = ParseString(member != nullptr ? &member->string_value : nullptr);
      break;
    case 't':
      kind = JsonKind::kTrue;
      ok = ParseLiteral("true");
      break;
    case 'f':
      kind = JsonKind::kFalse;
      ok = ParseLiteral("false");
      break;
    case 'n':
      kind = JsonKind::kNull;
      ok = ParseLiteral("null");
      break;
    default:
      kind = JsonKind::kNumber;
      ok = ParseNumber();
  }
  if (member != nullptr) member->kind = kind;
  return ok;
}

Status Scanner::Finish(bool top_is_object) {
  SkipSpace();
  if (!AtEnd()) return NotJson("trailing characters");
  if (!top_is_object) return InvalidArgument(std::string(kJsonNotAnObject));
  return Status::Ok();
}

// An explicit loop over a bounded stack of open containers, so hostile nesting can neither
// recurse nor allocate. Depth 1 is inside the top-level object, whose members are reported.
Status Scanner::Run(std::vector<JsonField>& fields) {
  std::array<char, kMaxJsonDepth> open;  // '{' or '[' for each enclosing container
  int depth = 0;
  JsonField member;
  SkipSpace();
  if (AtEnd()) return NotJson("empty");
  const bool top_is_object = text_[pos_] == '{';
  bool expect_key = false;

  while (true) {
    // A key (inside an object) or a value starts here.
    SkipSpace();
    if (AtEnd()) return NotJson("unexpected end");
    const bool is_member = depth == 1 && top_is_object;
    if (expect_key) {
      if (text_[pos_] != '"') return NotJson("expected a key");
      if (is_member) member.key.clear();
      if (!ParseString(is_member ? &member.key : nullptr)) return NotJson(error_);
      SkipSpace();
      if (AtEnd() || text_[pos_] != ':') return NotJson("expected ':'");
      ++pos_;
      expect_key = false;
      continue;
    }

    if (is_member) {
      member.value_begin = pos_;
      member.string_value.clear();
    }
    char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth == kMaxJsonDepth) return InvalidArgument("nested too deep");
      if (is_member) member.kind = c == '{' ? JsonKind::kObject : JsonKind::kArray;
      open[depth++] = c;
      ++pos_;
      SkipSpace();
      if (AtEnd() || text_[pos_] != Closer(c)) {
        expect_key = c == '{';
        continue;
      }
      ++pos_;  // an empty container is a complete value
      --depth;
    } else if (c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || IsDigit(c)) {
      if (!ParseScalar(is_member ? &member : nullptr)) return NotJson(error_);
    } else {
      return NotJson("unexpected character");
    }

    // A value ended at pos_. Report it if it is a top-level member, then close every container
    // that ends here until a ',' starts the next element.
    while (true) {
      if (depth == 0) return Finish(top_is_object);
      if (depth == 1 && top_is_object) {
        member.value_end = pos_;
        fields.push_back(std::move(member));
        member = JsonField{};  // a moved-from object is reset before reuse
      }
      SkipSpace();
      if (AtEnd()) return NotJson("unexpected end");
      char enclosing = open[depth - 1];
      if (text_[pos_] == ',') {
        ++pos_;
        expect_key = enclosing == '{';
        break;
      }
      if (text_[pos_] != Closer(enclosing)) return NotJson("expected ',' or a closing bracket");
      ++pos_;
      --depth;
    }
  }
}

}  // namespace

base::Result<std::vector<JsonField>> ScanJsonObject(std::string_view text) {
  std::vector<JsonField> fields;
  fields.reserve(8);  // envelope headers have a handful of members: one allocation, no regrowth
  Scanner scanner(text);
  base::Status status = scanner.Run(fields);
  if (!status.ok()) return status;
  return fields;
}

const JsonField* FindField(const std::vector<JsonField>& fields, std::string_view key) {
  for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

}  // namespace ferry::protocol
