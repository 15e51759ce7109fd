#include "api/json_body.h"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "core/json_parse.h"

namespace b2b::api {

core::Result<boost::json::value> parse_json_body(const net::Request& req) {
  std::string_view type = req[net::http::field::content_type];
  if (auto semi = type.find(';'); semi != std::string_view::npos) type = type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (!boost::beast::iequals(type, "application/json") || req.body().empty()) {
    return boost::json::value(boost::json::object{});
  }
  boost::json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  // Numbers rounded as JSON.parse rounds them: signatures cover their canonical text.
  boost::json::value v = core::parse_json(req.body(), ec, opts);
  if (ec) return core::Error{"malformed JSON", "the body is not valid JSON"};
  return v;
}

}  // namespace b2b::api
