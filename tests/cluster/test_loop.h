// Drives one io_context from the test thread until a condition holds, and runs a Redis command
// to completion: the async client stays on that one thread, as its contract requires.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cluster/redis_connection.h"

namespace b2b::cluster::testing {

struct Loop {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
      ioc.get_executor()};

  template <class Pred>
  bool until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      ioc.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  std::optional<core::Result<RedisReply>> call(RedisConnection& redis,
                                               std::vector<std::string> args) {
    std::optional<core::Result<RedisReply>> out;
    redis.command(std::move(args), [&out](core::Result<RedisReply> r) { out = std::move(r); });
    until([&] { return out.has_value(); }, std::chrono::seconds(10));
    return out;
  }
};

}  // namespace b2b::cluster::testing
