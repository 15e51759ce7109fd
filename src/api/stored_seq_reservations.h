// core::SeqReservations on the Store: reservations are written under the room's keyed hash
// (the store never sees a room id) and read back from the start-up snapshot.
#pragma once

#include "api/identity_services.h"
#include "core/seq_reservations.h"

namespace b2b::api {

class StoredSeqReservations final : public core::SeqReservations {
 public:
  explicit StoredSeqReservations(IdentityServices& ids) : ids_(ids) {}

  // Reads the snapshot loaded at start-up; it is never written afterwards, so any shard may read.
  int64_t floor_for(std::string_view room_id) override {
    auto it = ids_.restored_high_water.find(ids_.room_key(room_id));
    return it == ids_.restored_high_water.end() ? 0 : it->second;
  }
  void reserve(std::string_view room_id, int64_t up_to) override {
    ids_.store->upsert_room_high_water(store::RoomHighWater{ids_.room_key(room_id), up_to},
                                       [](core::Result<bool>) {});
  }
  void await_durable() override { ids_.store->flush(); }

 private:
  IdentityServices& ids_;
};

}  // namespace b2b::api
