#include "client/sse_parser.h"

namespace b2b::client {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_line_.append(bytes);
      break;
    }
    std::string_view piece = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    if (!partial_line_.empty()) {
      partial_line_.append(piece);
      std::string line = std::move(partial_line_);
      partial_line_.clear();
      take_line(line, out);
    } else {
      take_line(piece, out);
    }
  }
  return out;
}

void SseParser::take_line(std::string_view line, std::vector<SseEvent>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    if (has_data_) out.push_back(SseEvent{std::move(data_)});
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field != "data") return;
  if (has_data_) data_.push_back('\n');
  data_.append(value);
  has_data_ = true;
}

void SseParser::reset() {
  partial_line_.clear();
  data_.clear();
  has_data_ = false;
}

}  // namespace b2b::client
