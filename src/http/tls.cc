#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <string_view>

namespace ferry::http {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites with forward secrecy and authenticated encryption; TLS 1.3 suites are all
// of that kind and keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string OpenSslReason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// The server speaks HTTP/1.1 only: it picks "http/1.1" when the client offers it and
// otherwise goes on without ALPN, which clients treat as HTTP/1.1.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr std::string_view kHttp11 = "http/1.1";
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == kHttp11) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

ServerTls::ServerTls(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

ServerTls::~ServerTls() = default;

base::Status ServerTls::Load() {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return base::Internal("TLS cipher list refused: " + OpenSslReason());
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  // An encrypted key must fail with an error, not make OpenSSL prompt on the terminal.
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });

  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file_.c_str()) != 1) {
    return base::InvalidArgument("server.tls.cert_file \"" + cert_file_ + "\": " + OpenSslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file_.c_str(), SSL_FILETYPE_PEM) != 1) {
    return base::InvalidArgument("server.tls.key_file \"" + key_file_ + "\": " + OpenSslReason());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return base::InvalidArgument("server.tls: the key in \"" + key_file_ +
                                 "\" does not match the certificate in \"" + cert_file_ +
                                 "\": " + OpenSslReason());
  }
  std::lock_guard lock(mu_);
  context_ = std::move(context);
  return base::Status::Ok();
}

std::shared_ptr<ssl::context> ServerTls::current() const {
  std::lock_guard lock(mu_);
  return context_;
}

}  // namespace ferry::http
