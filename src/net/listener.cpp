#include "net/listener.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "net/http_session.h"
#include "net/net_stats.h"

namespace b2b::net {

using tcp = boost::asio::ip::tcp;

Listener::Listener(ShardPool& pool, HttpHandler& handler, const HttpLimits& limits)
    : pool_(pool), handler_(handler), limits_(limits) {}

tcp::endpoint Listener::bind(const std::string& host, unsigned short port) {
  tcp::endpoint ep(boost::asio::ip::make_address(host), port);
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    auto a = std::make_unique<ShardAcceptor>(ShardAcceptor{
        i, tcp::acceptor(pool_.context(i)), boost::asio::steady_timer(pool_.context(i))});
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
        if (ec) {
          // EMFILE/ENFILE and friends: back off instead of spinning, log once per burst.
          if (NetStats::accept_errors.fetch_add(1) % 1000 == 0) {
            spdlog::warn("accept failed: {} (backing off 100 ms)", ec.message());
          }
          a.backoff.expires_after(std::chrono::milliseconds(100));
          a.backoff.async_wait([this, &a](boost::system::error_code wec) {
            if (!wec) accept(a);
          });
          return;
        }
        std::make_shared<HttpSession>(std::move(socket), handler_, limits_, a.shard)->start();
        accept(a);
      });
}

}  // namespace b2b::net
