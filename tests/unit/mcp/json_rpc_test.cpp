#include "mcp/json_rpc.h"

#include <gtest/gtest.h>

namespace b2b::mcp {
namespace {

namespace json = boost::json;
using Kind = IncomingMessage::Kind;

TEST(JsonRpc, RequestWithIdMethodAndParams) {
  IncomingMessage m =
      parse_message(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  EXPECT_EQ(m.kind, Kind::request);
  EXPECT_EQ(m.id, json::value(7));
  EXPECT_EQ(m.method, "tools/list");
  EXPECT_EQ(m.params.at("cursor"), "x");
}

TEST(JsonRpc, StringIdsAreKept) {
  IncomingMessage m = parse_message(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})");
  EXPECT_EQ(m.kind, Kind::request);
  EXPECT_EQ(m.id, json::value("abc"));
  EXPECT_TRUE(m.params.empty());
}

TEST(JsonRpc, NoIdIsANotification) {
  IncomingMessage m = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(m.kind, Kind::notification);
}

TEST(JsonRpc, ResultsAndErrorsFromTheClientAreResponses) {
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":1,"result":{}})").kind, Kind::response);
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}})").kind,
            Kind::response);
}

TEST(JsonRpc, MalformedJsonIsAParseError) {
  IncomingMessage m = parse_message("{nope");
  EXPECT_EQ(m.kind, Kind::invalid);
  EXPECT_EQ(m.error.code, rpc_code::kParseError);
  EXPECT_TRUE(m.id.is_null());
}

TEST(JsonRpc, StructuralProblemsAreInvalidRequests) {
  for (const char* line :
       {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", R"("ping")", R"({"id":1,"method":"ping"})",
        R"({"jsonrpc":"1.0","id":1,"method":"ping"})", R"({"jsonrpc":"2.0","id":1,"method":5})",
        R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
        R"({"jsonrpc":"2.0","id":[1],"method":"ping"})"}) {
    IncomingMessage m = parse_message(line);
    EXPECT_EQ(m.kind, Kind::invalid) << line;
    EXPECT_EQ(m.error.code, rpc_code::kInvalidRequest) << line;
  }
}

TEST(JsonRpc, InvalidRequestKeepsAReadableId) {
  IncomingMessage m = parse_message(R"({"jsonrpc":"1.0","id":9,"method":"ping"})");
  EXPECT_EQ(m.id, json::value(9));
}

TEST(JsonRpc, NonObjectParamsAreInvalidParams) {
  IncomingMessage m = parse_message(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[1]})");
  EXPECT_EQ(m.kind, Kind::invalid);
  EXPECT_EQ(m.error.code, rpc_code::kInvalidParams);
  EXPECT_EQ(m.id, json::value(1));
}

TEST(JsonRpc, ResponsesAreOneLineWithTheId) {
  const std::string ok = success_response(json::value("x"), json::object{{"text", "a\nb"}});
  EXPECT_EQ(ok, R"({"jsonrpc":"2.0","id":"x","result":{"text":"a\nb"}})");
  EXPECT_EQ(ok.find('\n'), std::string::npos);
  EXPECT_EQ(error_response(nullptr, {rpc_code::kParseError, "bad"}),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})");
}

}  // namespace
}  // namespace b2b::mcp
