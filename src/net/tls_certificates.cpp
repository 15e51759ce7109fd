#include "net/tls_certificates.h"

#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace b2b::net {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites; TLS 1.3 keeps OpenSSL's defaults (all AEAD with forward secrecy).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// A PEM chain or key is a few KiB; anything far larger is not one.
constexpr std::streamsize kMaxPemBytes = 1 << 20;

// The whole file, or why it cannot be read.
std::optional<std::string> read_pem(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string bytes;
  bytes.resize(static_cast<std::size_t>(kMaxPemBytes) + 1);
  in.read(bytes.data(), kMaxPemBytes + 1);
  if (in.bad()) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (static_cast<std::streamsize>(bytes.size()) > kMaxPemBytes) {
    error = "larger than 1 MiB, not a PEM file";
    return std::nullopt;
  }
  return bytes;
}

std::string failure(const char* what, const std::string& path, const std::string& why) {
  return std::string(what) + " " + path + ": " + why;
}

}  // namespace

TlsContextResult make_server_tls_context(const std::string& cert_file,
                                         const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // Idle connections (parked SSE and WebSocket streams) then hold no read/write buffers.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return {nullptr, "TLS: OpenSSL accepts none of the configured TLS 1.2 ciphers"};
  }
  // An encrypted key must fail to load, not make OpenSSL prompt on the terminal.
  ctx->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); });

  std::string why;
  const auto cert = read_pem(cert_file, why);
  if (!cert) return {nullptr, failure("TLS certificate", cert_file, "cannot read (" + why + ")")};
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) {
    return {nullptr,
            failure("TLS certificate", cert_file, "not a PEM certificate (" + ec.message() + ")")};
  }
  const auto key = read_pem(key_file, why);
  if (!key) return {nullptr, failure("TLS key", key_file, "cannot read (" + why + ")")};
  ctx->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  if (ec) {
    return {nullptr, failure("TLS key", key_file,
                             "not an unencrypted PEM private key (" + ec.message() + ")")};
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return {nullptr, failure("TLS key", key_file, "does not match the certificate " + cert_file)};
  }
  return {std::move(ctx), {}};
}

std::variant<std::shared_ptr<TlsCertificates>, std::string> TlsCertificates::open(
    std::string cert_file, std::string key_file) {
  auto made = make_server_tls_context(cert_file, key_file);
  if (!made.context) return made.error;
  return std::make_shared<TlsCertificates>(std::move(cert_file), std::move(key_file),
                                           std::move(made.context));
}

TlsCertificates::TlsCertificates(std::string cert_file, std::string key_file,
                                 std::shared_ptr<ssl::context> context)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      context_(std::move(context)) {}

std::shared_ptr<ssl::context> TlsCertificates::current() const {
  std::lock_guard lock(mu_);
  return context_;
}

std::optional<std::string> TlsCertificates::reload() {
  auto made = make_server_tls_context(cert_file_, key_file_);
  if (!made.context) return made.error;
  std::lock_guard lock(mu_);
  context_ = std::move(made.context);
  return std::nullopt;
}

}  // namespace b2b::net
