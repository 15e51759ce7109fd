#include "net/raw_response.h"

#include <boost/beast/http/write.hpp>

#include <memory>

namespace b2b::net {

void write_response_and_close(boost::asio::ip::tcp::socket socket, Response response) {
  struct Pending {
    boost::asio::ip::tcp::socket socket;
    Response response;
  };
  response.keep_alive(false);
  response.prepare_payload();
  auto p = std::make_shared<Pending>(Pending{std::move(socket), std::move(response)});
  http::async_write(p->socket, p->response, [p](boost::system::error_code, std::size_t) {
    boost::system::error_code ec;
    p->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    p->socket.close(ec);
  });
}

}  // namespace b2b::net
