#include "http/request_reader.h"

#include <boost/beast/http/error.hpp>
#include <cctype>
#include <iterator>
#include <stdexcept>

#include "base/strings.h"

namespace ferry::http {

namespace {

constexpr uint64_t kFramingAllowance = 1 << 20;

ReadFailure FailureFor(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) return ReadFailure::kHeaderTooLarge;
  if (ec == bhttp::error::body_limit) return ReadFailure::kBodyTooLarge;
  return ReadFailure::kBadRequest;
}

}  // namespace

RequestReader::RequestReader(const ReaderLimits& limits) : limits_(limits) {
  parser_.header_limit(limits.max_header_bytes);
  parser_.body_limit(limits.max_body_bytes);
  parser_.eager(true);
  parser_.on_chunk_header(chunk_callback_);
}

size_t RequestReader::Parse(std::string_view data, boost::system::error_code& ec) {
  feeding_ = data;
  size_t n = 0;
  try {
    n = parser_.put(boost::asio::buffer(data.data(), data.size()), ec);
  } catch (const std::length_error&) {
    // basic_fields refuses names and values over 64 KiB; only a trailer can get that far
    // (the header limit stops them in the header).
    callback_failure_ = ReadFailure::kTrailersTooLarge;
    ec = bhttp::error::bad_field;
  } catch (const std::exception&) {
    callback_failure_ = ReadFailure::kBadRequest;
    ec = bhttp::error::bad_field;
  }
  feeding_ = {};
  return n;
}

// A complete chunk-size line: its extensions are handed over as they are, and the hex digits
// of the size sit right before them in the bytes being fed. Counting both bounds the line
// (leading zeros included) even when it arrived whole.
void RequestReader::OnChunkHeader(std::string_view extensions, boost::system::error_code& ec) {
  size_t digits = 0;
  const char* begin = feeding_.data();
  for (const char* p = extensions.data();
       p > begin && std::isxdigit(static_cast<unsigned char>(p[-1])); --p) {
    ++digits;
  }
  if (digits + extensions.size() > limits_.max_chunk_line) {
    callback_failure_ = ReadFailure::kChunkLineTooLong;
    ec = bhttp::error::bad_chunk_extension;
  }
}

RequestReader::Progress RequestReader::Put(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (!parser_.is_header_done()) return PutHeader(data, consumed);
  return PutBody(data, consumed);
}

// The header is parsed only once it is complete, after a scan that refuses bare LF and
// obs-fold (Beast would accept the latter). The scan resumes where it stopped, so a header
// that trickles in byte by byte costs linear time.
RequestReader::Progress RequestReader::PutHeader(std::string_view data, size_t* consumed) {
  const size_t limit = std::min<size_t>(data.size(), limits_.max_header_bytes);
  size_t end = std::string_view::npos;  // index of the blank line's CRLF
  size_t i = scanned_;
  for (; i < limit; ++i) {
    if (data[i] != '\n') continue;
    if (i == 0 || data[i - 1] != '\r') return Fail(ReadFailure::kBadRequest);
    if (i + 1 >= data.size()) break;  // what follows the line end decides; wait for it
    const char next = data[i + 1];
    if (next == ' ' || next == '\t') {
      // A line starting with whitespace continues the previous header line (obs-fold), or,
      // right after the request line, is a header name with leading whitespace: both 400.
      return Fail(ReadFailure::kObsFold);
    }
    if (i + 2 < data.size() && next == '\r' && data[i + 2] == '\n') {
      end = i + 1;
      break;
    }
    if (i + 2 >= data.size() && next == '\r') break;  // a CR at the end: wait for its LF
  }
  if (end == std::string_view::npos) {
    scanned_ = i;
    if (data.size() >= limits_.max_header_bytes) return Fail(ReadFailure::kHeaderTooLarge);
    return Progress::kNeedMore;
  }
  const size_t header_size = end + 2;
  if (header_size > limits_.max_header_bytes) return Fail(ReadFailure::kHeaderTooLarge);
  boost::system::error_code ec;
  size_t n = Parse(data.substr(0, header_size), ec);
  if (callback_failure_ != ReadFailure::kNone) return Fail(callback_failure_);
  if (ec && ec != bhttp::error::need_more) return Fail(FailureFor(ec));
  if (!parser_.is_header_done() || n != header_size) return Fail(ReadFailure::kBadRequest);
  *consumed = n;
  wire_bytes_ = header_bytes_ = n;
  if (auto failure = CheckTransferEncoding(); failure != ReadFailure::kNone) return Fail(failure);
  chunked_ = parser_.chunked();
  if (auto length = parser_.content_length(); length && *length > limits_.max_body_bytes) {
    return Fail(ReadFailure::kBodyTooLarge);
  }
  header_fields_ = static_cast<size_t>(std::distance(parser_.get().begin(), parser_.get().end()));
  return parser_.is_done() ? Progress::kDone : Progress::kHeaderDone;
}

// Only "chunked", once, is implemented: RFC 9112 §6.1 answers 501 for any other transfer
// coding. Beast would read "gzip, chunked" as if only chunked had been applied.
ReadFailure RequestReader::CheckTransferEncoding() const {
  int chunked = 0;
  auto range = parser_.get().equal_range(bhttp::field::transfer_encoding);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view value = it->value();
    while (true) {
      size_t comma = value.find(',');
      std::string_view token = base::Trim(value.substr(0, comma));
      if (base::EqualsIgnoreCase(token, "chunked")) {
        ++chunked;
      } else if (!token.empty()) {
        return ReadFailure::kNotImplemented;
      }
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  if (chunked > 1) return ReadFailure::kBadRequest;
  return ReadFailure::kNone;
}

RequestReader::Progress RequestReader::PutBody(std::string_view data, size_t* consumed) {
  if (parser_.is_done()) return Progress::kDone;
  if (data.empty()) return Progress::kNeedMore;
  boost::system::error_code ec;
  size_t n = Parse(data, ec);
  *consumed = n;
  wire_bytes_ += n;
  if (callback_failure_ != ReadFailure::kNone) return Fail(callback_failure_);
  if (ec && ec != bhttp::error::need_more) return Fail(FailureFor(ec));
  const uint64_t body = parser_.get().body().size();
  const uint64_t framing = wire_bytes_ - header_bytes_ - body;
  if (framing > body / 8 + kFramingAllowance) return Fail(ReadFailure::kBodyTooLarge);
  if (parser_.is_done()) {
    // A trailer section that arrived whole was parsed at once: count it now.
    size_t fields = 0;
    uint64_t bytes = 0;
    for (const auto& field : parser_.get()) {
      if (fields++ < header_fields_) continue;
      bytes += field.name_string().size() + field.value().size() + 4;
    }
    if (fields - header_fields_ > limits_.max_trailer_fields || bytes > limits_.max_header_bytes) {
      return Fail(ReadFailure::kTrailersTooLarge);
    }
    return Progress::kDone;
  }
  if (chunked_) {
    // Beast consumes chunk data as it arrives but keeps a chunk-size line, and the last chunk
    // with its trailer section, until they are complete. Bound both here.
    std::string_view pending = data.substr(n);
    if (pending.size() > limits_.max_header_bytes) return Fail(ReadFailure::kTrailersTooLarge);
    if (pending.substr(0, 2) == "\r\n") pending.remove_prefix(2);
    size_t eol = pending.substr(0, limits_.max_chunk_line + 2).find("\r\n");
    if (eol == std::string_view::npos && pending.size() > limits_.max_chunk_line) {
      return Fail(ReadFailure::kChunkLineTooLong);
    }
  }
  return Progress::kNeedMore;
}

}  // namespace ferry::http
