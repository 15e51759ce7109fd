#include "net/tls_tunnel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "net/http_session.h"

namespace b2b::net {

namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using unix_socket = boost::asio::local::stream_protocol::socket;
using error_code = boost::system::error_code;

namespace {

// How long the relay's close_notify may take to leave before the TCP connection just closes.
constexpr std::chrono::seconds kCloseGrace{5};

// Sent when a client speaks plain HTTP to the TLS port, so it learns why instead of seeing
// a reset. Built once with Beast.
const std::string& plain_http_refusal() {
  static const std::string bytes = [] {
    Response res{http::status::bad_request, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(false);
    res.body() = "This port speaks TLS: use https:// (or wss://).\n";
    res.prepare_payload();
    std::ostringstream out;
    out << res;
    return out.str();
  }();
  return bytes;
}

bool is_plain_http(const error_code& ec) {
  return ec.category() == boost::asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
}

class TlsTunnel : public std::enable_shared_from_this<TlsTunnel> {
 public:
  TlsTunnel(tcp::socket socket, std::shared_ptr<ssl::context> context, std::string peer_address,
            ConnectionSlot slot, HttpHandler& handler, const HttpLimits& limits, std::size_t shard)
      : context_(std::move(context)),
        tls_(std::move(socket), *context_),
        plain_(tls_.get_executor()),
        timer_(tls_.get_executor()),
        peer_address_(std::move(peer_address)),
        slot_(std::move(slot)),
        handler_(handler),
        limits_(limits),
        shard_(shard) {}

  void start() {
    error_code ec;
    tls_.next_layer().set_option(tcp::no_delay(true), ec);
    // A client that connects and never finishes its handshake is treated like one that
    // never sends a request head: it has the header timeout, then the connection closes.
    timer_.expires_after(std::chrono::seconds(limits_.header_timeout_s));
    timer_.async_wait([self = shared_from_this()](error_code wec) {
      if (!wec) self->close_tcp();
    });
    tls_.async_handshake(ssl::stream_base::server,
                         [self = shared_from_this()](error_code hec) { self->on_handshake(hec); });
  }

 private:
  void on_handshake(const error_code& ec) {
    timer_.cancel();
    if (ec) {
      if (is_plain_http(ec)) {
        const auto& refusal = plain_http_refusal();
        ::send(tls_.next_layer().native_handle(), refusal.data(), refusal.size(),
               MSG_DONTWAIT | MSG_NOSIGNAL);
      }
      spdlog::debug("TLS handshake with {} failed: {}", peer_address_, ec.message());
      return close_tcp();
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      spdlog::warn("TLS: socketpair failed: {}", std::strerror(errno));
      return close_tcp();
    }
    error_code aec;
    plain_.assign(boost::asio::local::stream_protocol(), fds[0], aec);
    // The plain path is written for tcp::socket. Asio only records the protocol given here
    // for endpoint queries (which fail or say "not IP" on a unix socket: that is why the
    // peer address is passed in) and treats the descriptor as a byte stream.
    tcp::socket inner(tls_.get_executor());
    error_code iec;
    inner.assign(tcp::v4(), fds[1], iec);
    if (aec || iec) {
      if (aec) ::close(fds[0]);
      if (iec) ::close(fds[1]);
      return close_all();
    }
    std::make_shared<HttpSession>(std::move(inner), handler_, limits_, shard_, std::move(slot_),
                                  std::move(peer_address_))
        ->start();
    client_to_relay();
    relay_to_client();
  }

  // Decrypted request bytes into the unix socket, one chunk at a time.
  void client_to_relay() {
    tls_.async_read_some(boost::asio::buffer(from_client_), [self = shared_from_this()](
                                                                error_code ec, std::size_t n) {
      if (ec) {
        // The client left (EOF, close_notify, reset) or we closed: the session reads EOF.
        error_code sec;
        self->plain_.shutdown(unix_socket::shutdown_send, sec);
        return;
      }
      boost::asio::async_write(self->plain_, boost::asio::buffer(self->from_client_, n),
                               [self](error_code wec, std::size_t) {
                                 if (wec) return self->close_all();
                                 self->client_to_relay();
                               });
    });
  }

  // The relay's bytes (responses, SSE events, WebSocket frames) encrypted to the client.
  void relay_to_client() {
    plain_.async_read_some(
        boost::asio::buffer(to_client_), [self = shared_from_this()](error_code ec, std::size_t n) {
          if (ec) return self->finish();  // the relay closed the connection
          // A client that stops reading must not hold the tunnel forever: the plain path
          // gives a response write the keep-alive timeout, and so does each chunk here.
          self->timer_.expires_after(std::chrono::seconds(self->limits_.keepalive_timeout_s));
          self->timer_.async_wait([self](error_code wec) {
            if (!wec) self->close_all();
          });
          boost::asio::async_write(self->tls_, boost::asio::buffer(self->to_client_, n),
                                   [self](error_code wec, std::size_t) {
                                     self->timer_.cancel();
                                     if (wec) return self->close_all();
                                     self->relay_to_client();
                                   });
        });
  }

  // Everything the relay wrote has been sent: say close_notify, then close.
  void finish() {
    error_code ec;
    plain_.close(ec);
    // Marking the peer's close_notify as received makes the shutdown send ours and complete,
    // instead of waiting for a reply many clients never send. A read still pending then
    // ends as EOF.
    SSL_set_shutdown(tls_.native_handle(), SSL_RECEIVED_SHUTDOWN);
    timer_.expires_after(kCloseGrace);
    timer_.async_wait([self = shared_from_this()](error_code wec) {
      if (!wec) self->close_tcp();
    });
    tls_.async_shutdown([self = shared_from_this()](error_code) {
      self->timer_.cancel();
      self->close_tcp();
    });
  }

  void close_tcp() {
    error_code ec;
    tls_.next_layer().shutdown(tcp::socket::shutdown_send, ec);
    tls_.next_layer().close(ec);
  }

  void close_all() {
    error_code ec;
    plain_.close(ec);
    close_tcp();
  }

  // Held for as long as the stream: the stream's SSL object was made from it.
  std::shared_ptr<ssl::context> context_;
  ssl::stream<tcp::socket> tls_;
  unix_socket plain_;                // the tunnel's end of the pair
  boost::asio::steady_timer timer_;  // handshake deadline, then write and close deadlines
  std::string peer_address_;
  ConnectionSlot slot_;  // held during the handshake, then the HttpSession's
  HttpHandler& handler_;
  const HttpLimits& limits_;
  const std::size_t shard_;
  // 16 KiB: one full TLS record per write toward the client.
  std::array<char, 16 * 1024> to_client_;
  std::array<char, 8 * 1024> from_client_;
};

}  // namespace

void start_tls_tunnel(tcp::socket socket, std::shared_ptr<ssl::context> context,
                      std::string peer_address, ConnectionSlot slot, HttpHandler& handler,
                      const HttpLimits& limits, std::size_t shard) {
  std::make_shared<TlsTunnel>(std::move(socket), std::move(context), std::move(peer_address),
                              std::move(slot), handler, limits, shard)
      ->start();
}

}  // namespace b2b::net
