// src/store/sqlite_store.cpp: acknowledged means committed. Group commit (many writes, one
// transaction, Dones in order), Done only after the commit is visible to another connection,
// a full disk reported as "storage full" and recovered from, and the pending-write bound.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "store_test_util.h"

namespace b2b::store {
namespace {

using testing::dm;
using testing::identity;
using testing::must_open;
using testing::RawDb;
using testing::ScratchDir;
using testing::sync;

// Holds the writer thread inside a Done until release(), so that everything queued meanwhile
// lands in the next group.
class WriterGate {
 public:
  Done done() {
    return [this](core::Result<bool>) {
      entered_.set_value();
      released_.wait();
    };
  }
  // Returns once the writer is held: the gated write is committed, nothing after it has begun.
  void wait_until_held() { entered_future_.wait(); }
  void release() { released_promise_.set_value(); }

 private:
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> released_promise_;
  std::shared_future<void> released_ = released_promise_.get_future().share();
};

TEST(SqliteStoreGroupCommit, ThousandWritesCompleteInOrderInFewTransactions) {
  ScratchDir dir;
  constexpr int kWrites = 1000;
  std::vector<int> order;  // appended only on the writer thread; read after flush()
  std::vector<std::string> failures;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    WriterGate gate;
    store->upsert_identity(identity("alice"), gate.done());
    gate.wait_until_held();
    const uint64_t commits_before = store->stats().commits;
    for (int i = 0; i < kWrites; ++i) {
      store->insert_dm(dm("alice", i), [&order, &failures, i](core::Result<bool> r) {
        order.push_back(i);
        if (!r.ok()) failures.push_back(r.error().detail);
      });
    }
    gate.release();
    store->flush();
    EXPECT_TRUE(failures.empty()) << failures.front();
    ASSERT_EQ(order.size(), static_cast<std::size_t>(kWrites));
    for (int i = 0; i < kWrites; ++i) ASSERT_EQ(order[i], i);
    // All 1,000 were queued while the writer was held: one transaction, one fsync.
    EXPECT_EQ(store->stats().commits - commits_before, 1u);
    EXPECT_EQ(store->stats().writes_ok, static_cast<uint64_t>(kWrites + 1));
  }
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  auto snap = store->load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap.value().dms.size(), static_cast<std::size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) EXPECT_EQ(snap.value().dms[i].seq, i);
}

TEST(SqliteStoreGroupCommit, DoneRunsOnTheStoreThreadAfterTheRowIsCommitted) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  std::promise<std::string> seen;
  std::thread::id done_thread;
  store->insert_dm(dm("alice", 7), [&](core::Result<bool> r) {
    done_thread = std::this_thread::get_id();
    if (!r.ok()) return seen.set_value("write failed: " + r.error().detail);
    // Another connection (as after a crash) sees the row the moment Done runs.
    RawDb outsider(dir.db_file());
    seen.set_value(outsider.ok() ? outsider.scalar("SELECT id FROM dms WHERE seq = 7")
                                 : "cannot open");
  });
  EXPECT_EQ(seen.get_future().get(), dm("alice", 7).id);
  EXPECT_NE(done_thread, std::this_thread::get_id());
}

TEST(SqliteStoreGroupCommit, DatabaseIsWalWithFullSync) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  RawDb outsider(dir.db_file());
  ASSERT_TRUE(outsider.ok());
  EXPECT_EQ(outsider.scalar("PRAGMA journal_mode"), "wal");
}

// A process killed right after its Done ran (no close, no destructors, WAL not checkpointed)
// loses nothing that was acknowledged.
TEST(SqliteStoreGroupCommit, AcknowledgedWritesSurviveAKilledProcess) {
  ScratchDir dir;
  constexpr int kWrites = 200;
  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    auto opened = open_sqlite_store(dir.data_dir());
    if (!opened) _exit(2);
    Store& store = *opened.value();
    for (int i = 0; i < kWrites; ++i) {
      store.insert_dm(dm("alice", i), [i](core::Result<bool> r) {
        if (!r.ok()) _exit(3);
        if (i == kWrites - 1) kill(getpid(), SIGKILL);  // the crash, from inside the last Done
      });
    }
    pause();
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  EXPECT_TRUE(std::filesystem::exists(dir.db_file() + "-wal"));  // not checkpointed
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  auto snap = store->load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().dms.size(), static_cast<std::size_t>(kWrites));
}

// PRAGMA max_page_count stands in for a full disk: SQLite answers SQLITE_FULL either way.
TEST(SqliteStoreFull, FullDiskIsStorageFullAndWritesSucceedAgainOnceThereIsRoom) {
  ScratchDir dir;
  DmRecord big = dm("alice", 2);
  big.ciphertext.assign(256 * 1024, 'c');  // needs new pages
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(sync([&](Done d) { store->upsert_identity(identity("alice"), std::move(d)); }));
    ASSERT_TRUE(sync([&](Done d) { store->insert_dm(dm("alice", 1), std::move(d)); }));
    ASSERT_TRUE(set_sqlite_max_page_count(*store, 1));  // clamps to the current size

    // One group: a write that fits between two that do; only the big one fails.
    WriterGate gate;
    store->set_inbox_seq("alice", 1, gate.done());
    gate.wait_until_held();
    std::vector<core::Result<bool>> results;
    auto collect = [&results](core::Result<bool> r) { results.push_back(std::move(r)); };
    store->set_inbox_seq("alice", 2, collect);
    store->insert_dm(big, collect);
    store->set_inbox_seq("alice", 3, collect);
    gate.release();
    store->flush();
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[0].ok());
    ASSERT_FALSE(results[1].ok());
    EXPECT_EQ(results[1].error().error, "storage full");
    EXPECT_EQ(results[1].error().detail.find("alice"), std::string::npos);  // no user data
    EXPECT_EQ(results[1].error().detail.find("ccc"), std::string::npos);
    EXPECT_TRUE(results[2].ok());

    ASSERT_TRUE(set_sqlite_max_page_count(*store, 0));  // room again
    auto retried = sync([&](Done d) { store->insert_dm(big, std::move(d)); });
    EXPECT_TRUE(retried.ok()) << retried.error().detail;
    EXPECT_GE(store->stats().writes_failed, 1u);
  }
  RawDb outsider(dir.db_file());
  ASSERT_TRUE(outsider.ok());
  EXPECT_EQ(outsider.scalar("PRAGMA integrity_check"), "ok");
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  auto snap = store->load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().identities.at(0).inbox_seq, 3);
  ASSERT_EQ(snap.value().dms.size(), 2u);
  EXPECT_EQ(snap.value().dms[1], big);
}

TEST(SqliteStoreQueue, RefusesWritesBeyondThePendingBoundWithStorageBusy) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  WriterGate gate;
  store->set_inbox_seq("nobody", 0, gate.done());  // pending: 1
  gate.wait_until_held();
  for (std::size_t i = 1; i < kSqliteMaxPendingWrites; ++i) {
    store->set_inbox_seq("nobody", 0, testing::ignore());
  }
  EXPECT_EQ(store->stats().pending, kSqliteMaxPendingWrites);
  bool refused_now = false;
  store->set_inbox_seq("nobody", 0, [&](core::Result<bool> r) {
    refused_now = true;  // on this thread, before the call returns
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().error, "storage busy");
  });
  EXPECT_TRUE(refused_now);
  gate.release();
  store->flush();
  EXPECT_EQ(store->stats().pending, 0u);
  auto after = sync([&](Done d) { store->set_inbox_seq("nobody", 0, std::move(d)); });
  EXPECT_TRUE(after.ok());
}

}  // namespace
}  // namespace b2b::store
