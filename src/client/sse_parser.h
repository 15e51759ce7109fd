// Incremental Server-Sent Events parser (ROOMS.md §6.2 framing, WHATWG field rules):
// bytes go in as they arrive, split anywhere; complete events come out.
//
// API:
//   SseParser p;
//   for (auto& ev : p.feed(bytes)) use(ev.data);   // data lines joined with '\n'
//   p.comments()  number of comment lines seen (": keepalive")
//   p.reset()     forget a partial event (call on reconnect)
// Lines end with LF or CRLF; ':' starts a comment; "data:" strips one leading space; other
// fields (event/id/retry) are ignored; a blank line dispatches an event that had data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace b2b::client {

struct SseEvent {
  std::string data;
};

class SseParser {
 public:
  std::vector<SseEvent> feed(std::string_view bytes);
  std::size_t comments() const { return comments_; }
  void reset();

 private:
  void take_line(std::string_view line, std::vector<SseEvent>& out);

  std::string partial_line_;
  std::string data_;
  bool has_data_ = false;
  std::size_t comments_ = 0;
};

}  // namespace b2b::client
