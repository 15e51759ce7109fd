#include "net/socket_handoff.h"

#include <unistd.h>

#include <boost/asio/post.hpp>

namespace b2b::net {

using tcp = boost::asio::ip::tcp;

void hand_off(tcp::socket socket, boost::asio::io_context& target,
              std::function<void(tcp::socket)> then) {
  if (&static_cast<boost::asio::io_context&>(socket.get_executor().context()) == &target) {
    return then(std::move(socket));
  }
  boost::system::error_code ec;
  // Behind the TLS tunnel (tls_tunnel.h) this is a unix socket: getsockname still succeeds,
  // and the protocol object only tags the descriptor as a byte stream for Asio.
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;  // already dead: nothing to hand over
  const int fd = socket.release(ec);
  if (ec) return;
  boost::asio::post(target, [&target, protocol, fd, then = std::move(then)] {
    tcp::socket moved(target);
    boost::system::error_code aec;
    moved.assign(protocol, fd, aec);
    if (aec) {
      ::close(fd);
      return;
    }
    then(std::move(moved));
  });
}

}  // namespace b2b::net
