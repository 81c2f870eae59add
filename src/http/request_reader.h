// Reads one HTTP/1.1 request from the bytes of a connection, without doing any I/O: the
// session feeds it what arrived and reads more while it asks for more. Beast's parser does
// the grammar; this class bounds what the parser would otherwise buffer without limit and
// refuses what ferry does not implement:
//  - the header: at most max_header_bytes, bare LF and obs-fold (RFC 9112 §5.2) refused;
//  - Transfer-Encoding: only a single "chunked" (anything else is 501, RFC 9112 §6.1);
//  - a chunk-size line (size and chunk extensions) of at most max_chunk_line bytes;
//  - the trailer section: within max_header_bytes and at most max_trailer_fields fields;
//  - the body: at most max_body_bytes, and chunk framing of at most an eighth of the body
//    plus a megabyte, so that the wire bytes of one request are bounded too.
// Pure and deterministic: unit-tested and fuzzed (fuzz/fuzz_http_request.cc).
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string_view>

#include "http/types.h"

namespace ferry::http {

struct ReaderLimits {
  uint64_t max_body_bytes = 200 << 20;
  uint32_t max_header_bytes = 64 * 1024;
  uint32_t max_chunk_line = 4096;
  uint32_t max_trailer_fields = 64;
};

class RequestReader {
 public:
  enum class Progress {
    kNeedMore,    // feed more bytes
    kHeaderDone,  // the header is complete (returned once); feed on for the body
    kDone,        // the whole request is read
    kFailed,      // failure() says why; the connection must close after the answer
  };

  explicit RequestReader(const ReaderLimits& limits);
  // The parser holds a reference to a member callback: not copyable, not movable.
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Parses what it can of `data`, the connection's unread bytes, and sets `*consumed` to the
  // bytes it used up (the caller drops them from its buffer). Bytes not consumed must be
  // offered again, followed by what arrives next.
  Progress Put(std::string_view data, size_t* consumed);

  ReadFailure failure() const { return failure_; }
  // The request so far; after kHeaderDone its header fields are complete.
  const Request& request() const { return parser_.get(); }
  // Header and body bytes consumed so far.
  uint64_t wire_bytes() const { return wire_bytes_; }
  // REQUIRES: Put returned kDone.
  Request Release() { return parser_.release(); }

 private:
  Progress PutHeader(std::string_view data, size_t* consumed);
  Progress PutBody(std::string_view data, size_t* consumed);
  Progress Fail(ReadFailure failure) {
    failure_ = failure;
    return Progress::kFailed;
  }
  ReadFailure CheckTransferEncoding() const;
  // Feeds `data` to the parser; Beast's exceptions (a field value over its own limit) become
  // failures.
  size_t Parse(std::string_view data, boost::system::error_code& ec);
  // Called by the parser for every chunk-size line, complete, within the bytes being fed.
  void OnChunkHeader(std::string_view extensions, boost::system::error_code& ec);

  struct ChunkCallback {
    RequestReader* reader;
    void operator()(uint64_t, std::string_view extensions, boost::system::error_code& ec) {
      reader->OnChunkHeader(extensions, ec);
    }
  };

  const ReaderLimits limits_;
  bhttp::request_parser<bhttp::string_body> parser_;
  ReadFailure failure_ = ReadFailure::kBadRequest;
  size_t scanned_ = 0;  // header bytes already checked for CRLF CRLF, bare LF and obs-fold
  uint64_t wire_bytes_ = 0;
  uint64_t header_bytes_ = 0;
  size_t header_fields_ = 0;
  bool chunked_ = false;
  std::string_view feeding_;  // what the parser is being fed, during Parse
  ReadFailure callback_failure_ = ReadFailure::kNone;
  ChunkCallback chunk_callback_{this};  // the parser refers to it
};

}  // namespace ferry::http
