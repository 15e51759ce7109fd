// Moves a connected socket to another shard's event loop, so that a stream lives on its
// room's shard and fan-out needs no cross-thread hop (DESIGN.md principle 6).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <optional>

namespace b2b::net {

// A connected socket's descriptor, taken out of its event loop to be registered with another
// loop, or with a socket of another executor type (write_coalescing_stream.h).
struct ReleasedSocket {
  boost::asio::ip::tcp protocol;
  int fd;
};

// nullopt when the socket is already dead: there is nothing to hand over.
std::optional<ReleasedSocket> release_descriptor(boost::asio::ip::tcp::socket& socket);
void close_descriptor(int fd);

// Registers `released` with `into` (a socket not yet open); on failure the descriptor is closed
// and false returned.
template <class Executor>
bool adopt_descriptor(boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>& into,
                      const ReleasedSocket& released) {
  boost::system::error_code ec;
  into.assign(released.protocol, released.fd, ec);
  if (ec) close_descriptor(released.fd);
  return !ec;
}

// Call on the socket's current shard. `then` runs on `target`'s thread with the socket
// re-registered there (inline when it already is on `target`).
void hand_off(boost::asio::ip::tcp::socket socket, boost::asio::io_context& target,
              std::function<void(boost::asio::ip::tcp::socket)> then);

}  // namespace b2b::net
