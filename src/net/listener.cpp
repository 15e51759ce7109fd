#include "net/listener.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <sstream>

#include "net/http_session.h"
#include "net/net_stats.h"
#include "net/tls_tunnel.h"

namespace b2b::net {

using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::chrono::milliseconds kFirstPause{50};
constexpr std::chrono::milliseconds kLongestPause{1000};
constexpr std::chrono::seconds kWarningInterval{10};

// Built once with Beast and sent as bytes: a refusal must cost no parsing and no allocation.
std::string serialized_refusal() {
  Response res{http::status::service_unavailable, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::retry_after, "5");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.body() =
      R"({"error":"too many connections from this address","detail":"close idle connections or retry later"})";
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

// Out of descriptors (process or system) or kernel memory: waiting helps, retrying does not.
bool is_resource_shortage(const boost::system::error_code& ec) {
  return ec == boost::asio::error::no_descriptors || ec == boost::asio::error::no_buffer_space ||
         ec == boost::asio::error::no_memory ||
         ec == boost::system::error_code(ENFILE, boost::system::system_category());
}

}  // namespace

Listener::Listener(ShardPool& pool, HttpHandler& handler, const HttpLimits& limits,
                   std::int64_t conn_cap_per_ip, AddressPredicate uncapped)
    : pool_(pool),
      handler_(handler),
      limits_(limits),
      connections_(std::make_shared<ConnectionLimiter>(conn_cap_per_ip)),
      uncapped_(std::move(uncapped)),
      refusal_(serialized_refusal()) {}

tcp::endpoint Listener::bind(const std::string& host, unsigned short port) {
  tcp::endpoint ep(boost::asio::ip::make_address(host), port);
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    auto a = std::make_unique<ShardAcceptor>(
        ShardAcceptor{i, tcp::acceptor(pool_.context(i)),
                      boost::asio::steady_timer(pool_.context(i)), kFirstPause});
    a->acceptor.open(ep.protocol());
    a->acceptor.set_option(tcp::acceptor::reuse_address(true));
    int one = 1;
    ::setsockopt(a->acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    a->acceptor.bind(ep);
    a->acceptor.listen(4096);
    // With port 0 the first bind picks the port; the other shards join the same one.
    ep = a->acceptor.local_endpoint();
    acceptors_.push_back(std::move(a));
  }
  return ep;
}

void Listener::start() {
  for (auto& a : acceptors_) {
    boost::asio::post(pool_.context(a->shard), [this, p = a.get()] { accept(*p); });
  }
}

void Listener::stop() {
  for (auto& a : acceptors_) {
    boost::asio::post(pool_.context(a->shard), [p = a.get()] {
      boost::system::error_code ec;
      p->acceptor.close(ec);
      p->backoff.cancel();
    });
  }
}

void Listener::accept(ShardAcceptor& a) {
  a.acceptor.async_accept(
      pool_.context(a.shard), [this, &a](boost::system::error_code ec, tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || !a.acceptor.is_open()) return;
        // The client gave up between the handshake and our accept: nothing to wait for.
        if (ec == boost::asio::error::connection_aborted) return accept(a);
        if (ec) return pause_after_error(a, ec);
        a.next_pause = kFirstPause;
        if (failing_.load(std::memory_order_relaxed)) {
          std::lock_guard lock(episode_.mu);
          if (episode_.active && episode_.warned) {
            spdlog::info("accepting connections again after {} failed accepts", episode_.failures);
          }
          episode_.active = false;
          failing_.store(false, std::memory_order_relaxed);
        }
        admit(a, std::move(socket));
        accept(a);
      });
}

void Listener::pause_after_error(ShardAcceptor& a, const boost::system::error_code& ec) {
  const bool shortage = is_resource_shortage(ec);
  (shortage ? NetStats::accept_fd_exhausted : NetStats::accept_errors)
      .fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(episode_.mu);
    const auto now = std::chrono::steady_clock::now();
    if (!episode_.active) {
      episode_.active = true;
      episode_.failures = 0;
      episode_.warned = episode_.last_warning == std::chrono::steady_clock::time_point{} ||
                        now - episode_.last_warning >= kWarningInterval;
      if (episode_.warned) {
        episode_.last_warning = now;
        spdlog::warn("accept failed: {}; pausing accepts ({} ms, doubling to {} ms) until {}",
                     ec.message(), kFirstPause.count(), kLongestPause.count(),
                     shortage ? "descriptors free up" : "it succeeds");
      }
    }
    ++episode_.failures;
    failing_.store(true, std::memory_order_relaxed);
  }
  // Not re-arming the accept until the timer fires is what keeps the loop from spinning:
  // the listening socket stays readable while clients queue in the backlog.
  a.backoff.expires_after(a.next_pause);
  a.next_pause = std::min(a.next_pause * 2, kLongestPause);
  a.backoff.async_wait([this, &a](boost::system::error_code wec) {
    if (!wec) accept(a);
  });
}

void Listener::admit(ShardAcceptor& a, tcp::socket socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone; the socket closes here
  const std::string address = peer.address().to_string();
  ConnectionSlot slot;  // stays empty for an uncapped peer
  if (!uncapped_ || !uncapped_(address)) {
    slot = connections_->try_acquire(address);
    if (!slot.held()) return refuse(socket);
  }
  if (tls_) {
    return start_tls_tunnel(std::move(socket), tls_->current(), address, std::move(slot), handler_,
                            limits_, a.shard);
  }
  std::make_shared<HttpSession>(std::move(socket), handler_, limits_, a.shard, std::move(slot),
                                address)
      ->start();
}

void Listener::refuse(tcp::socket& socket) {
  NetStats::connections_refused_per_ip.fetch_add(1, std::memory_order_relaxed);
  boost::system::error_code ec;
  // A TLS client could not read a plaintext 503, and a handshake is the very cost the cap
  // saves: over TLS the refusal is the close alone.
  if (tls_) {
    socket.close(ec);
    return;
  }
  // Best effort and never blocking: a fresh socket's send buffer takes these few hundred
  // bytes at once; if it does not, the client just sees the close.
  ::send(socket.native_handle(), refusal_.data(), refusal_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

}  // namespace b2b::net
