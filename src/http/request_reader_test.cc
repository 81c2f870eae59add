#include "http/request_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::http {
namespace {

using Progress = RequestReader::Progress;

struct Outcome {
  Progress progress;
  ReadFailure failure;
  std::string body;
};

// Feeds `wire` in pieces of `step` bytes, as a connection would deliver them.
Outcome Read(const std::string& wire, size_t step = 1 << 20, ReaderLimits limits = {}) {
  RequestReader reader(limits);
  std::string pending;
  size_t at = 0;
  Progress progress = Progress::kNeedMore;
  while (true) {
    size_t used = 0;
    progress = reader.Put(pending, &used);
    pending.erase(0, used);
    if (progress == Progress::kFailed) return {progress, reader.failure(), ""};
    if (progress == Progress::kDone) return {progress, ReadFailure::kNone, reader.Release().body()};
    if (progress == Progress::kHeaderDone) continue;
    if (at >= wire.size()) return {progress, ReadFailure::kNone, ""};
    pending += wire.substr(at, step);
    at += step;
  }
}

const std::string kHead = "POST /tunnel HTTP/1.1\r\nHost: x\r\n";

TEST(RequestReaderTest, ReadsContentLengthAndChunkedBodiesInAnyPieces) {
  for (size_t step : {1, 3, 7, 1 << 20}) {
    auto a = Read(kHead + "Content-Length: 5\r\n\r\nhello", step);
    EXPECT_EQ(a.progress, Progress::kDone);
    EXPECT_EQ(a.body, "hello");
    auto b = Read(
        kHead + "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n",
        step);
    EXPECT_EQ(b.progress, Progress::kDone) << step;
    EXPECT_EQ(b.body, "hello");
  }
}

TEST(RequestReaderTest, RefusesObsFoldAndBareLf) {
  EXPECT_EQ(Read(kHead + "X-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n").failure,
            ReadFailure::kObsFold);
  EXPECT_EQ(Read(kHead + "X-A: 1\r\n\tcontinued\r\n\r\n", 1).failure, ReadFailure::kObsFold);
  EXPECT_EQ(Read("POST / HTTP/1.1\nHost: x\n\n").failure, ReadFailure::kBadRequest);
}

TEST(RequestReaderTest, OnlyChunkedIsImplemented) {
  EXPECT_EQ(Read(kHead + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").failure,
            ReadFailure::kNotImplemented);
  EXPECT_EQ(Read(kHead + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .failure,
            ReadFailure::kNotImplemented);
  EXPECT_EQ(Read(kHead + "Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n").progress, Progress::kDone);
}

TEST(RequestReaderTest, BoundsChunkLinesWholeOrPending) {
  const std::string te = kHead + "Transfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(Read(te + "5;" + std::string(5000, 'e') + "\r\nhello\r\n0\r\n\r\n").failure,
            ReadFailure::kChunkLineTooLong);
  EXPECT_EQ(Read(te + std::string(5000, '0') + "5\r\nhello\r\n0\r\n\r\n").failure,
            ReadFailure::kChunkLineTooLong);
  // Never terminated: refused once the pending line passes the bound.
  auto endless = Read(te + "5;" + std::string(20000, 'e'), 1000);
  EXPECT_EQ(endless.failure, ReadFailure::kChunkLineTooLong);
  EXPECT_EQ(Read(te + "5;" + std::string(4000, 'e') + "\r\nhello\r\n0\r\n\r\n").progress,
            Progress::kDone);
}

TEST(RequestReaderTest, BoundsTrailers) {
  const std::string te = kHead + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n";
  std::string many;
  for (int i = 0; i < 65; ++i) many += "X-T" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Read(te + many + "\r\n").failure, ReadFailure::kTrailersTooLarge);
  EXPECT_EQ(Read(te + "X-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n").failure,
            ReadFailure::kTrailersTooLarge);
  EXPECT_EQ(Read(te + "X-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n", 4096).failure,
            ReadFailure::kTrailersTooLarge);
  std::string endless;
  for (int i = 0; i < 10000; ++i) endless += "X-T: aaaa\r\n";
  EXPECT_EQ(Read(te + endless, 1000).failure, ReadFailure::kTrailersTooLarge);
}

TEST(RequestReaderTest, BoundsBodyAndFraming) {
  ReaderLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(Read(kHead + "Content-Length: 11\r\n\r\n", 1 << 20, limits).failure,
            ReadFailure::kBodyTooLarge);
  // One-byte chunks: framing five times the body, past an eighth of it plus the allowance.
  std::string tiny;
  for (int i = 0; i < 300000; ++i) tiny += "1\r\nx\r\n";
  EXPECT_EQ(Read(kHead + "Transfer-Encoding: chunked\r\n\r\n" + tiny + "0\r\n\r\n").failure,
            ReadFailure::kBodyTooLarge);
}

TEST(RequestReaderTest, HeaderLimit) {
  ReaderLimits limits;
  limits.max_header_bytes = 100;
  EXPECT_EQ(Read(kHead + "X: " + std::string(200, 'a') + "\r\n\r\n", 10, limits).failure,
            ReadFailure::kHeaderTooLarge);
}

}  // namespace
}  // namespace ferry::http
