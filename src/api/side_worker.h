// One thread beside the event loops for work that must never block them: appending bug
// reports to disk (serialised, because there is one thread) and the alert webhook's
// outgoing HTTP calls (asynchronous on this thread's own io_context).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <thread>

namespace b2b::api {

class SideWorker {
 public:
  SideWorker() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~SideWorker() { stop(); }
  SideWorker(const SideWorker&) = delete;
  SideWorker& operator=(const SideWorker&) = delete;

  template <class Work>
  void post(Work&& work) {
    boost::asio::post(io_, std::forward<Work>(work));
  }
  boost::asio::io_context& context() { return io_; }

  // Lets queued work finish (webhook calls are bounded by their own timeout), then joins.
  void stop() {
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace b2b::api
