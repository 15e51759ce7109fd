// N event loops, one thread each (DESIGN.md principle 6, Seastar-style shards). A room
// lives on the shard its id hashes to; connections live on the shard that accepted them
// until a stream is handed to its room's shard.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace b2b::net {

class ShardPool {
 public:
  explicit ShardPool(std::size_t shards);
  ~ShardPool();
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(std::size_t shard) { return *contexts_[shard]; }

  // Starts one thread per shard and blocks until every loop has stopped.
  void run();
  void stop();

  // The shard whose thread is calling, or npos outside the pool's threads.
  static std::size_t current_shard();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
};

}  // namespace b2b::net
