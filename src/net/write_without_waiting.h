// Streams offer a batch to their non-blocking socket before any async write (SseStream,
// WriteCoalescingStream): a socket with room takes it at once, with no operation to allocate
// and no completion to queue — about a tenth of a delivery's cost in a fan-out. Only what it
// did not take waits for the socket to drain.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>

namespace b2b::net {

// What the socket took now (0 when it had no room: that is not an error). `socket` must be in
// non-blocking mode.
template <class Socket, class ConstBuffers>
std::size_t write_without_waiting(Socket& socket, const ConstBuffers& buffers,
                                  boost::system::error_code& ec) {
  const std::size_t taken = socket.write_some(buffers, ec);
  if (ec == boost::asio::error::would_block) {
    ec = {};
    return 0;
  }
  return taken;
}

}  // namespace b2b::net
