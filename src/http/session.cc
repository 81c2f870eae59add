#include "http/session.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "base/log.h"
#include "base/strings.h"
#include "http/request_reader.h"

namespace ferry::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

// After an early answer (413, 400) the client may still be sending. Closing with unread data
// makes the kernel send a reset, which can destroy the answer before the client reads it; so,
// like nginx's lingering close, the rest is read and discarded for a while: until the client
// pauses for kLingerPause, or kLingerTime has passed. Past kLingerMaxBytes the session stops
// reading (a client must not be able to make ferry read an endless body) but still waits out
// kLingerTime, so the answer has time to be read while the client's writes stall.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kLingerPause = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = 1 << 20;

constexpr size_t kReadSize = 64 * 1024;
constexpr auto kBudgetPoll = std::chrono::milliseconds(50);

std::string PeerIp(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// Hands `in` to the handler and completes with its Response, back on the caller's executor.
template <typename Token>
auto AsyncHandle(Handler& handler, IncomingRequest in, Token&& token) {
  return asio::async_initiate<Token, void(Response)>(
      [&handler](auto completion, IncomingRequest in) {
        auto shared = std::make_shared<decltype(completion)>(std::move(completion));
        auto executor = asio::get_associated_executor(*shared);
        handler.Handle(std::move(in), Respond([shared, executor](Response res) {
                         asio::post(executor, [shared, res = std::move(res)]() mutable {
                           (*shared)(std::move(res));
                         });
                       }));
      },
      token, std::move(in));
}

// Runs a deferred head check and completes with its verdict, back on the caller's executor.
template <typename Token>
auto AsyncDeferred(std::function<void(HeadVerdict::Done)> deferred, Token&& token) {
  return asio::async_initiate<Token, void(std::optional<Response>)>(
      [](auto completion, std::function<void(HeadVerdict::Done)> deferred) {
        auto shared = std::make_shared<decltype(completion)>(std::move(completion));
        auto executor = asio::get_associated_executor(*shared);
        deferred([shared, executor](std::optional<Response> refusal) {
          asio::post(executor, [shared, refusal = std::move(refusal)]() mutable {
            (*shared)(std::move(refusal));
          });
        });
      },
      token, std::move(deferred));
}

// The status line and header fields of `response`. Written by hand into one reused buffer:
// Beast's generic serializer cost several percent of the instructions per request.
void SerializeHead(const Response& response, std::string& head) {
  head.clear();
  head += response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(response.result_int());
  head += ' ';
  head += response.reason();
  head += "\r\n";
  for (const auto& field : response) {
    head += field.name_string();
    head += ": ";
    head += field.value();
    head += "\r\n";
  }
  head += "\r\n";
}

// Writes `response` (its Content-Length already set) with one gathered write.
template <typename WriteStream>
asio::awaitable<boost::system::error_code> WriteResponse(WriteStream& stream, std::string& head,
                                                         const Response& response) {
  SerializeHead(response, head);
  const std::array<asio::const_buffer, 2> message{asio::buffer(head),
                                                  asio::buffer(response.body())};
  auto [ec, n] = co_await asio::async_write(stream, message, kUse);
  co_return ec;
}

// The heap memory a body holds: an empty or short string lives inside the object.
uint64_t HeapBytes(const std::string& body) {
  static const size_t kInline = std::string().capacity();
  return body.capacity() > kInline ? body.capacity() : 0;
}

bool IsQuietClose(const boost::system::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == bhttp::error::end_of_stream || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;  // a TLS client gone without close_notify
}

}  // namespace

template <typename Stream>
Stream Session<Stream>::MakeStream(tcp::socket socket, asio::ssl::context* context) {
  if constexpr (kTls) {
    return Stream(std::move(socket), *context);
  } else {
    return Stream(std::move(socket));
  }
}

template <typename Stream>
Session<Stream>::Session(Server& server, tcp::socket socket, uint64_t id,
                         std::shared_ptr<asio::ssl::context> context)
    : server_(server),
      context_(std::move(context)),
      stream_(MakeStream(std::move(socket), context_.get())),
      id_(id) {
  InitPeer();
}

template <typename Stream>
void Session<Stream>::InitPeer() {
  boost::system::error_code ec;
  auto endpoint = tcp().socket().remote_endpoint(ec);
  if (!ec) {
    peer_ip_ = PeerIp(endpoint);
    peer_port_ = endpoint.port();
  }
  tcp().socket().set_option(tcp::no_delay(true), ec);
}

template <typename Stream>
Session<Stream>::~Session() {
  server_.Unregister(id_);
}

template <typename Stream>
void Session<Stream>::Shutdown() {
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    if (self->idle_) self->tcp().cancel();
  });
}

// Reads the first bytes of the connection. A TLS client starts with a handshake record
// (content type 22); anything else is most likely plain HTTP sent to the TLS port, which gets
// a readable 400 in plain text, as nginx does, rather than a handshake error.
template <typename Stream>
asio::awaitable<bool> Session<Stream>::Handshake() {
  tcp().expires_after(server_.limits_.request_timeout);
  auto [ec, n] = co_await tcp().async_read_some(buffer_.prepare(16 * 1024), kUse);
  if (ec) co_return false;
  buffer_.commit(n);
  constexpr unsigned char kHandshakeRecord = 0x16;
  if (static_cast<const unsigned char*>(buffer_.data().data())[0] != kHandshakeRecord) {
    Response response = server_.handler_->Reject(ReadFailure::kPlainHttpToTls, peer_ip_);
    response.keep_alive(false);
    response.prepare_payload();
    auto wec = co_await WriteResponse(tcp(), head_, response);
    if (!wec) co_await LingeringClose();
    co_return false;
  }
  if constexpr (kTls) {
    auto [hec, used] =
        co_await stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(), kUse);
    if (hec) {
      base::Log(base::LogLevel::kDebug, "TLS handshake failed",
                {{"client", peer_ip_}, {"error", hec.message()}});
      co_return false;
    }
    buffer_.consume(used);
  }
  co_return true;
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::WaitForRequest() {
  if (buffer_.size() > 0) co_return true;
  tcp().expires_after(server_.limits_.idle_timeout);
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(16 * 1024), kUse);
  if (ec) co_return false;
  buffer_.commit(n);
  co_return true;
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::ReadMore() {
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadSize), kUse);
  if (ec) {
    if (!IsQuietClose(ec)) co_await RejectAndClose(ReadFailure::kBadRequest);
    co_return false;
  }
  buffer_.commit(n);
  co_return true;
}

template <typename Stream>
asio::awaitable<bool> Session<Stream>::Reserve(base::MemoryLease& lease, uint64_t bytes) {
  if (lease.GrowTo(bytes)) co_return true;
  // Room usually comes back within moments, as other requests are answered: wait a little
  // before refusing.
  const auto deadline = std::chrono::steady_clock::now() + server_.limits_.budget_wait;
  asio::steady_timer wait(stream_.get_executor());
  while (std::chrono::steady_clock::now() < deadline) {
    wait.expires_after(kBudgetPoll);
    (void)co_await wait.async_wait(kUse);
    if (lease.GrowTo(bytes)) co_return true;
  }
  co_return false;
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::Run() {
  auto self = this->shared_from_this();
  const ServerLimits& limits = server_.limits_;
  ReaderLimits reader_limits;
  reader_limits.max_body_bytes = limits.max_body_bytes;
  reader_limits.max_header_bytes = limits.max_header_bytes;
  reader_limits.max_chunk_line = limits.max_chunk_line;
  reader_limits.max_trailer_fields = limits.max_trailer_fields;
  if constexpr (kTls) {
    if (!co_await Handshake()) {
      boost::system::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp().close();
      co_return;
    }
  }
  while (!server_.stopping()) {
    idle_ = true;
    if (!co_await WaitForRequest()) break;
    idle_ = false;

    auto received = std::chrono::steady_clock::now();
    tcp().expires_after(limits.request_timeout);
    RequestReader reader(reader_limits);
    // Feeds what is buffered to the reader; a request that arrived whole (a small envelope
    // usually does) is parsed without any further read.
    auto feed = [&] {
      size_t used = 0;
      auto data = buffer_.data();
      auto progress =
          reader.Put(std::string_view(static_cast<const char*>(data.data()), data.size()), &used);
      buffer_.consume(used);
      return progress;
    };

    using Progress = RequestReader::Progress;
    auto progress = feed();
    while (progress == Progress::kNeedMore) {
      if (!co_await ReadMore()) goto close;
      progress = feed();
    }
    if (progress == Progress::kFailed) {
      co_await RejectAndClose(reader.failure());
      break;
    }

    {
      // The header is complete: the handler may refuse the request before its body is read.
      HeadVerdict verdict = server_.handler_->CheckHead(reader.request(), peer_ip_);
      if (verdict.deferred) {
        verdict.refusal = co_await AsyncDeferred(std::move(verdict.deferred), asio::use_awaitable);
      }
      if (verdict.refusal) {
        co_await RefuseAndClose(std::move(*verdict.refusal));
        break;
      }
      auto lease = std::make_shared<base::MemoryLease>(server_.budget_);
      // A declared length is charged whole up front (the body reserves that much); a chunked
      // body is charged as its buffer grows.
      if (auto length = reader.request().payload_size();
          length && !co_await Reserve(*lease, *length)) {
        co_await RejectAndClose(ReadFailure::kOverBudget);
        break;
      }
      if (progress == Progress::kHeaderDone) {
        if (base::EqualsIgnoreCase(reader.request()[bhttp::field::expect], "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          auto [wec, wn] = co_await asio::async_write(
              stream_, asio::buffer(kContinue.data(), kContinue.size()), kUse);
          if (wec) break;
        }
        progress = feed();
        while (progress == Progress::kNeedMore || progress == Progress::kHeaderDone) {
          if (!co_await Reserve(*lease, HeapBytes(reader.request().body()))) {
            co_await RejectAndClose(ReadFailure::kOverBudget);
            goto close;
          }
          if (!co_await ReadMore()) goto close;
          progress = feed();
        }
        if (progress == Progress::kFailed) {
          co_await RejectAndClose(reader.failure());
          break;
        }
      }
      tcp().expires_never();

      IncomingRequest in;
      in.request = reader.Release();
      // The body's final size is charged before the handler gets it (a chunked body may have
      // grown past its last charge).
      if (!lease->GrowTo(HeapBytes(in.request.body()))) {
        co_await RejectAndClose(ReadFailure::kOverBudget);
        break;
      }
      in.memory = std::move(lease);
      in.peer_ip = peer_ip_;
      in.peer_port = peer_port_;
      in.wire_bytes = reader.wire_bytes();
      in.received = received;
      bool keep_alive = in.request.keep_alive();
      Response response =
          co_await AsyncHandle(*server_.handler_, std::move(in), asio::use_awaitable);
      keep_alive = keep_alive && !server_.stopping();
      co_await Answer(std::move(response), keep_alive);
      if (!keep_alive) break;
    }
  }
close:
  boost::system::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp().close();
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::Answer(Response response, bool keep_alive) {
  response.keep_alive(keep_alive);
  response.prepare_payload();
  tcp().expires_after(server_.limits_.request_timeout);
  auto ec = co_await WriteResponse(stream_, head_, response);
  if (ec) tcp().close();
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::RejectAndClose(ReadFailure failure) {
  co_await RefuseAndClose(server_.handler_->Reject(failure, peer_ip_));
}

template <typename Stream>
asio::awaitable<void> Session<Stream>::RefuseAndClose(Response response) {
  response.keep_alive(false);
  response.prepare_payload();
  tcp().expires_after(server_.limits_.request_timeout);
  auto ec = co_await WriteResponse(stream_, head_, response);
  if (!ec) co_await LingeringClose();
}

// Reads from the TCP layer even on a TLS connection: the bytes are discarded, so there is
// nothing to decrypt.
template <typename Stream>
asio::awaitable<void> Session<Stream>::LingeringClose() {
  boost::system::error_code ec;
  tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  const auto deadline = std::chrono::steady_clock::now() + kLingerTime;
  char scratch[16 * 1024];
  size_t discarded = 0;
  while (discarded < kLingerMaxBytes) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) co_return;
    tcp().expires_after(std::min<std::chrono::steady_clock::duration>(left, kLingerPause));
    auto [rec, n] = co_await tcp().async_read_some(asio::buffer(scratch), kUse);
    if (rec) co_return;
    discarded += n;
  }
  asio::steady_timer wait(tcp().get_executor());
  wait.expires_at(deadline);
  (void)co_await wait.async_wait(kUse);
}

template class Session<beast::tcp_stream>;
template class Session<TlsStream>;

}  // namespace ferry::http
