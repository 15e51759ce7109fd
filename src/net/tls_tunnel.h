// TLS termination inside the relay (--tls-cert/--tls-key): why it is a tunnel.
//
// The plain transport hands raw sockets around: an SSE or WebSocket stream detaches its
// tcp::socket from the HttpSession and the api moves its file descriptor to the room's
// shard (socket_handoff.h). OpenSSL's per-connection state cannot follow a moved fd, and
// making every session and stream generic over the stream type would also need rooms to
// accept subscribers living on other shards, i.e. a change to the room core.
//
// So each accepted TLS connection gets a tunnel on its accepting shard: an ssl::stream on
// the TCP socket, pumping decrypted bytes to and from one end of a socketpair(AF_UNIX). The
// other end enters the unchanged plain path as if it were the accepted socket (HttpSession,
// detach, hand-off, SSE, WebSocket, long-poll): the fd that moves between shards is the
// unix end, and the TLS state never leaves the tunnel. The real peer address is passed in
// (a unix socket has none), so rate limits, X-Forwarded-For trust and logs see the client.
// The cost is two more fds and one extra copy per byte through the kernel; the backpressure
// of the plain path is kept, because the tunnel reads the next chunk from one side only
// after writing the previous one to the other.
//
// Closing: the client's EOF becomes a half-close of the unix socket, which the HttpSession
// reads as the client leaving; the relay closing its end sends a TLS close_notify, then
// closes the TCP connection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <memory>
#include <string>

#include "net/connection_limiter.h"
#include "net/http_types.h"

namespace b2b::net {

// Runs the server handshake on `socket` (on its own executor, the accepting shard) within
// the header timeout, then serves HTTP through the tunnel. `slot` passes to the HttpSession.
void start_tls_tunnel(boost::asio::ip::tcp::socket socket,
                      std::shared_ptr<boost::asio::ssl::context> context, std::string peer_address,
                      ConnectionSlot slot, HttpHandler& handler, const HttpLimits& limits,
                      std::size_t shard);

}  // namespace b2b::net
