// Fakes and helpers shared by the core::Room tests: a subscriber and a waiter that record what
// the room hands them, message drafts, and readers for presence events.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "core/subscriber.h"

namespace b2b::core::room_fakes {
namespace json = boost::json;

inline const std::string kNonce = std::string(32, 'A');  // 24 zero bytes

// Records every event the room hands it; can be told to refuse deliveries.
class FakeSubscriber : public StreamSubscriber {
 public:
  struct Rec {
    std::string json;
    bool replay;
  };

  Delivery deliver(const EventPtr& event, bool replay) override {
    ++attempts;
    if (fail_after && attempts > *fail_after) return failure;
    if (!replay && live_result != Delivery::kQueued) return live_result;
    events.push_back(Rec{std::string(event->json()), replay});
    return Delivery::kQueued;
  }
  void drop_slow_consumer() override { ++slow_drops; }
  void close_going_away() override { ++going_away; }

  json::object at(std::size_t i) const { return json::parse(events.at(i).json).as_object(); }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      out.emplace_back(json::parse(e.json).as_object().at("type").as_string());
    }
    return out;
  }
  // The last event of this type; fails the test when there is none.
  json::object last(std::string_view type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      auto o = json::parse(it->json).as_object();
      if (o.at("type").as_string() == type) return o;
    }
    ADD_FAILURE() << "no event of type " << type;
    return {};
  }
  std::size_t count(std::string_view type) const {
    std::size_t n = 0;
    for (const auto& t : types()) n += t == type;
    return n;
  }

  std::vector<Rec> events;
  Delivery live_result = Delivery::kQueued;  // returned for live events
  std::optional<int> fail_after;             // after N accepted deliveries, return `failure`
  Delivery failure = Delivery::kOverLimit;
  int attempts = 0;
  int slow_drops = 0;
  int going_away = 0;
};

class FakeWaiter : public Waiter {
 public:
  explicit FakeWaiter(bool done = true) : done_(done) {}
  bool offer(const MessagePtr& m, int64_t room_last_seq) override {
    offers.push_back(m);
    last_seqs.push_back(room_last_seq);
    return done_;
  }
  void answer_for_shutdown() override { ++shutdowns; }

  std::vector<MessagePtr> offers;
  std::vector<int64_t> last_seqs;
  int shutdowns = 0;

 private:
  bool done_;
};

inline MessageDraft draft(std::string ciphertext = "QQ==", std::string sender = "bot") {
  MessageDraft d;
  d.sender = std::move(sender);
  d.ciphertext = std::move(ciphertext);
  d.nonce = kNonce;
  return d;
}

inline MessageDraft ttl_draft(double ttl) {
  MessageDraft d = draft();
  d.ttl_ms = ttl;
  return d;
}

inline std::vector<std::string> names_of(const json::object& presence) {
  std::vector<std::string> out;
  for (const auto& v : presence.at("names").as_array()) out.emplace_back(v.as_string());
  return out;
}

inline std::vector<std::string> participant_names(const json::object& o) {
  std::vector<std::string> out;
  for (const auto& v : o.at("participants").as_array()) {
    out.emplace_back(v.as_object().at("name").as_string());
  }
  return out;
}

}  // namespace b2b::core::room_fakes
