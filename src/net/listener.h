// Accepts connections on every shard: one SO_REUSEPORT acceptor per shard, so the kernel
// spreads new connections across cores and an accepted socket never changes threads.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "net/http_types.h"
#include "net/shard_pool.h"

namespace b2b::net {

class Listener {
 public:
  Listener(ShardPool& pool, HttpHandler& handler, const HttpLimits& limits);

  // Binds every shard's acceptor to host:port (port 0 picks a free port, shared by all).
  // Returns the bound endpoint, or throws boost::system::system_error.
  boost::asio::ip::tcp::endpoint bind(const std::string& host, unsigned short port);
  void start();
  // Stops accepting (from any thread). Connections already open are unaffected.
  void stop();

 private:
  struct ShardAcceptor {
    std::size_t shard;
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::steady_timer backoff;
  };
  void accept(ShardAcceptor& a);

  ShardPool& pool_;
  HttpHandler& handler_;
  const HttpLimits& limits_;
  std::vector<std::unique_ptr<ShardAcceptor>> acceptors_;
};

}  // namespace b2b::net
