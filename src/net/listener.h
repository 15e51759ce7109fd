// Accepts connections on every shard: one SO_REUSEPORT acceptor per shard, so the kernel
// spreads new connections across cores and an accepted socket never changes threads.
//
// Two guards sit at accept, before a byte is read:
// * the per-address connection cap (connection_limiter.h): a connection over it gets a
//   canned 503 and is closed;
// * descriptor exhaustion (EMFILE/ENFILE): the acceptor pauses 50 ms, doubling to 1 s, and
//   retries, logging one warning per episode. Pending connections wait in the kernel's
//   backlog meanwhile and are served once descriptors free up. We deliberately do not use
//   the "reserve descriptor" trick (close a spare fd, accept and drop the pending client,
//   reopen): it turns a transient shortage into refused clients, and with several event
//   threads another thread may take the freed descriptor between the close and the accept.
//   The backoff alone already prevents the busy loop the trick exists to avoid.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/connection_limiter.h"
#include "net/http_types.h"
#include "net/shard_pool.h"
#include "net/tls_certificates.h"

namespace b2b::net {

class Listener {
 public:
  // Peers for which `uncapped` answers true (the relay's trusted proxies) are not counted
  // against `conn_cap_per_ip`: a proxy carries many clients on its own address, and those are
  // limited per forwarded address at the request level instead.
  using AddressPredicate = std::function<bool(const std::string& address)>;
  Listener(ShardPool& pool, HttpHandler& handler, const HttpLimits& limits,
           std::int64_t conn_cap_per_ip, AddressPredicate uncapped = {});

  // Binds every shard's acceptor to host:port (port 0 picks a free port, shared by all).
  // Returns the bound endpoint, or throws boost::system::system_error.
  boost::asio::ip::tcp::endpoint bind(const std::string& host, unsigned short port);
  // Serves TLS on every connection accepted from now on (call before start()); each one
  // uses the pair `certificates` holds when it is accepted (tls_tunnel.h).
  void serve_tls(std::shared_ptr<TlsCertificates> certificates) { tls_ = std::move(certificates); }
  void start();
  // Stops accepting (from any thread). Connections already open are unaffected.
  void stop();

 private:
  struct ShardAcceptor {
    std::size_t shard;
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::steady_timer backoff;
    std::chrono::milliseconds next_pause;
  };
  void accept(ShardAcceptor& a);
  void pause_after_error(ShardAcceptor& a, const boost::system::error_code& ec);
  void admit(ShardAcceptor& a, boost::asio::ip::tcp::socket socket);
  void refuse(boost::asio::ip::tcp::socket& socket);

  ShardPool& pool_;
  HttpHandler& handler_;
  const HttpLimits& limits_;
  std::shared_ptr<ConnectionLimiter> connections_;
  AddressPredicate uncapped_;
  std::shared_ptr<TlsCertificates> tls_;  // null: plain HTTP
  const std::string refusal_;             // the serialized 503 sent to a connection over the cap
  // An accept-failure episode: from the first failure to the next successful accept, on
  // any shard. Logged once when it starts (at most every 10 s, so a relay hovering at its
  // descriptor limit does not flood the log) and once when it ends.
  struct Episode {
    std::mutex mu;
    bool active = false;
    bool warned = false;
    std::uint64_t failures = 0;
    std::chrono::steady_clock::time_point last_warning{};
  };
  std::atomic<bool> failing_{false};  // fast check on the accept path
  Episode episode_;
  std::vector<std::unique_ptr<ShardAcceptor>> acceptors_;
};

}  // namespace b2b::net
