#include "net/write_coalescing_stream.h"

#include <boost/asio/write.hpp>

#include "net/socket_handoff.h"
#include "net/write_without_waiting.h"

namespace b2b::net {

namespace {
// A batch this large goes out without waiting for more writes to join it.
constexpr std::size_t kEagerFlushBytes = 16 * 1024;
}  // namespace

WriteCoalescingStream::next_layer_type WriteCoalescingStream::rebind(
    boost::asio::ip::tcp::socket socket) {
  auto& context = static_cast<boost::asio::io_context&>(
      boost::asio::query(socket.get_executor(), boost::asio::execution::context));
  next_layer_type rebound(context.get_executor());
  // A dead socket stays closed here: operations on it fail at once.
  auto released = release_descriptor(socket);
  if (released && adopt_descriptor(rebound, *released)) {
    error_code ec;
    rebound.non_blocking(true, ec);  // flush() tries the socket before an async write
  }
  return rebound;
}

void WriteCoalescingStream::schedule_flush() {
  State& st = *state_;
  if (st.writing) return;  // the running batch's completion flushes what accumulates
  if (st.flush_posted) {
    st.appended_since_post = true;
    return;
  }
  st.flush_posted = true;
  st.appended_since_post = false;
  // Under load the round comes an interval later: everything has joined the batch by then.
  std::function<void()> in_round = [this, state = state_] {
    if (!state->alive) return;
    state->flush_posted = false;
    flush();
  };
  if (flush_rounds_.defer(st.writes, in_round)) return;
  boost::asio::post(get_executor(), [this, state = state_] {
    if (!state->alive) return;
    // More writes joined since the flush was posted (a session draining its queue, a room
    // fanning out the next post): let them finish joining unless the batch is already big.
    if (state->appended_since_post && state->pending.size() < kEagerFlushBytes) {
      state->flush_posted = false;
      return schedule_flush();
    }
    state->flush_posted = false;
    flush();
  });
}

void WriteCoalescingStream::flush() {
  State& st = *state_;
  if (st.writing || st.pending.empty()) return;
  st.sending.swap(st.pending);
  st.writing = true;
  st.writes.wrote(FlushRounds::now_ns());
  // Only what the socket does not take now waits in an async write.
  error_code ec;
  const std::size_t taken = write_without_waiting(next_, boost::asio::buffer(st.sending), ec);
  if (ec || taken == st.sending.size()) return on_batch_written(ec);
  boost::asio::async_write(next_, boost::asio::buffer(st.sending) + taken,
                           [this, state = state_](error_code ec, std::size_t) {
                             if (!state->alive) return;
                             on_batch_written(ec);
                           });
}

void WriteCoalescingStream::on_batch_written(error_code ec) {
  State& st = *state_;
  st.writing = false;
  // Idle connections are most of the relay's memory: keep no batch buffer between bursts.
  std::vector<char>().swap(st.sending);
  if (ec && !st.error) st.error = ec;
  if (st.waiters && st.waiters->blocked_writer) {
    auto [handler, n] = std::move(*st.waiters->blocked_writer);
    st.waiters->blocked_writer.reset();
    complete(std::move(handler), st.error, st.error ? std::size_t{0} : n);
  }
  // What was written meanwhile is paced like any other flush (wait_drained() still flushes).
  if (!st.error && !st.pending.empty()) return schedule_flush();
  if (st.error) std::vector<char>().swap(st.pending);
  if (st.waiters) {
    if (auto done = std::move(st.waiters->on_drained)) complete(std::move(done), st.error);
    st.waiters.reset();
  }
}

void WriteCoalescingStream::wait_drained(std::function<void(error_code)> done) {
  State& st = *state_;
  if (st.error || (!st.writing && st.pending.empty())) {
    return complete(std::move(done), st.error);
  }
  st.waiting().on_drained = std::move(done);
  if (!st.writing && !st.flush_posted) flush();
}

}  // namespace b2b::net
