#include "net/socket_handoff.h"

#include <unistd.h>

#include <boost/asio/post.hpp>

namespace b2b::net {

using tcp = boost::asio::ip::tcp;

std::optional<ReleasedSocket> release_descriptor(tcp::socket& socket) {
  boost::system::error_code ec;
  // Behind the TLS tunnel (tls_tunnel.h) this is a unix socket: getsockname still succeeds,
  // and the protocol object only tags the descriptor as a byte stream for Asio.
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return std::nullopt;
  const int fd = socket.release(ec);
  if (ec) return std::nullopt;
  return ReleasedSocket{protocol, fd};
}

void close_descriptor(int fd) {
  ::close(fd);
}

void hand_off(tcp::socket socket, boost::asio::io_context& target,
              std::function<void(tcp::socket)> then) {
  if (&static_cast<boost::asio::io_context&>(socket.get_executor().context()) == &target) {
    return then(std::move(socket));
  }
  auto released = release_descriptor(socket);
  if (!released) return;
  boost::asio::post(target, [&target, released = *released, then = std::move(then)] {
    tcp::socket moved(target);
    if (adopt_descriptor(moved, released)) then(std::move(moved));
  });
}

}  // namespace b2b::net
