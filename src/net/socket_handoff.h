// Moves a connected socket to another shard's event loop, so that a stream lives on its
// room's shard and fan-out needs no cross-thread hop (DESIGN.md principle 6).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>

namespace b2b::net {

// Call on the socket's current shard. `then` runs on `target`'s thread with the socket
// re-registered there (inline when it already is on `target`).
void hand_off(boost::asio::ip::tcp::socket socket, boost::asio::io_context& target,
              std::function<void(boost::asio::ip::tcp::socket)> then);

}  // namespace b2b::net
