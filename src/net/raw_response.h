// Answering on a bare socket (one taken from its HTTP session), then closing it: used when
// a stream is refused after the hand-off to its room's shard.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "net/http_types.h"

namespace b2b::net {

void write_response_and_close(boost::asio::ip::tcp::socket socket, Response response);

}  // namespace b2b::net
