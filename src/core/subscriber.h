// What the room needs from a live stream and from a parked request. The api layer
// implements these over sockets; the domain never sees one. Every call happens on the
// room's executor (DESIGN.md principle 1), so implementations need no locks for it.
#pragma once

#include "core/event.h"
#include "core/message.h"

namespace b2b::core {

enum class StreamKind { kSse, kWebSocket };

enum class Delivery {
  kQueued,
  kOverLimit,  // the subscriber fell behind its bound: a slow consumer (§20.15)
  kClosed,     // the connection is already gone; its close handler will follow
};

class StreamSubscriber {
 public:
  virtual ~StreamSubscriber() = default;
  // Queue an event. Replay events are sent as the socket drains and do not count towards
  // the live-bytes bound (§20.15a). Anything but kQueued makes the room drop the member.
  // Implementations must not call back into the room from any of these methods.
  virtual Delivery deliver(const EventPtr& event, bool replay) = 0;
  // The room has removed this subscriber because it fell behind; close the connection.
  virtual void drop_slow_consumer() = 0;
  // The relay is shutting down: flush what is queued, then say goodbye (§20.22).
  virtual void close_going_away() = 0;
};

class Waiter {
 public:
  virtual ~Waiter() = default;
  // A message was accepted in the room this waiter is parked on. Return true when the
  // waiter is done (the room forgets it), false to stay parked (e.g. nothing for it).
  virtual bool offer(const MessagePtr& message, int64_t room_last_seq) = 0;
  // The relay is shutting down: answer now as if the wait had timed out.
  virtual void answer_for_shutdown() = 0;
};

}  // namespace b2b::core
