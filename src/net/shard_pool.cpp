#include "net/shard_pool.h"

namespace b2b::net {
namespace {
thread_local std::size_t t_current_shard = static_cast<std::size_t>(-1);
}  // namespace

ShardPool::ShardPool(std::size_t shards) {
  for (std::size_t i = 0; i < shards; ++i) {
    // Concurrency hint 1: each context is only ever run by its own thread, so Asio can
    // skip internal locking on the hot path.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

ShardPool::~ShardPool() {
  stop();
}

void ShardPool::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([this, i] {
      t_current_shard = i;
      contexts_[i]->run();
    });
  }
  t_current_shard = 0;
  contexts_[0]->run();
  for (auto& t : threads) t.join();
  t_current_shard = static_cast<std::size_t>(-1);
}

void ShardPool::stop() {
  guards_.clear();
  for (auto& c : contexts_) c->stop();
}

std::size_t ShardPool::current_shard() {
  return t_current_shard;
}

}  // namespace b2b::net
