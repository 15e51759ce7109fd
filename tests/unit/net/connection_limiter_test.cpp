// ConnectionLimiter: per-address counting, release on destruction and on move-assignment,
// and a limiter kept alive by its slots (sessions may outlive the listener at shutdown).
#include "net/connection_limiter.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace b2b::net {
namespace {

TEST(ConnectionLimiter, RefusesAnAddressAtItsCapOnly) {
  auto limiter = std::make_shared<ConnectionLimiter>(2);
  ConnectionSlot a = limiter->try_acquire("10.0.0.1");
  ConnectionSlot b = limiter->try_acquire("10.0.0.1");
  EXPECT_TRUE(a.held());
  EXPECT_TRUE(b.held());
  EXPECT_FALSE(limiter->try_acquire("10.0.0.1").held());
  EXPECT_TRUE(limiter->try_acquire("10.0.0.2").held());
  EXPECT_EQ(limiter->count("10.0.0.1"), 2);
}

TEST(ConnectionLimiter, ASlotIsReturnedExactlyOnce) {
  auto limiter = std::make_shared<ConnectionLimiter>(1);
  {
    ConnectionSlot a = limiter->try_acquire("::1");
    ConnectionSlot moved = std::move(a);
    EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_EQ(limiter->count("::1"), 1);
    moved.release();
    moved.release();
    EXPECT_EQ(limiter->count("::1"), 0);
  }
  EXPECT_EQ(limiter->count("::1"), 0);
  ConnectionSlot c = limiter->try_acquire("::1");
  ConnectionSlot d = limiter->try_acquire("::2");
  c = std::move(d);  // c's unit for ::1 goes back
  EXPECT_EQ(limiter->count("::1"), 0);
  EXPECT_EQ(limiter->count("::2"), 1);
}

TEST(ConnectionLimiter, SlotsKeepTheirLimiterAlive) {
  std::vector<ConnectionSlot> slots;
  {
    auto limiter = std::make_shared<ConnectionLimiter>(8);
    for (int i = 0; i < 8; ++i) slots.push_back(limiter->try_acquire("127.0.0.1"));
  }
  slots.clear();  // releases into a limiter only the slots still own: no use-after-free
  SUCCEED();
}

}  // namespace
}  // namespace b2b::net
