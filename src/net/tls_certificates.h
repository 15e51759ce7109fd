// The relay's TLS server certificate and key (--tls-cert / --tls-key), reloadable at run
// time (SIGHUP): each reload builds a whole new ssl::context, and a connection keeps the
// context it was accepted with, so a renewal never disturbs an open connection and a bad
// new pair never replaces a working one.
//
// Policy (Mozilla "intermediate", minus finite-field DHE): TLS 1.2 minimum, ECDHE with
// AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (TLS 1.3's suites are all AEAD), the server's
// cipher order, no renegotiation, no compression.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace b2b::net {

// A server context from PEM files, or why not. `error` names the file and never quotes it:
// a key's bytes must not reach a log.
struct TlsContextResult {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string error;
};
TlsContextResult make_server_tls_context(const std::string& cert_file, const std::string& key_file);

class TlsCertificates {
 public:
  // Both files must load (the result's error says which did not).
  static std::variant<std::shared_ptr<TlsCertificates>, std::string> open(std::string cert_file,
                                                                          std::string key_file);
  TlsCertificates(std::string cert_file, std::string key_file,
                  std::shared_ptr<boost::asio::ssl::context> context);

  // The context for a new connection (from any thread).
  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Re-reads both files. On failure the current pair stays in use and the reason is returned.
  std::optional<std::string> reload();

  const std::string& cert_file() const { return cert_file_; }

 private:
  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace b2b::net
