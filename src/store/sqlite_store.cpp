// The SQLite Store (see sqlite_store.h): a bounded queue in front of one writer thread that
// owns the connection and commits writes in groups.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite_schema.h"
#include "store/sqlite_statements.h"

namespace b2b::store {

namespace {

using WriteFn = std::function<int(sqlite::Statements&)>;

// One queued unit of work: a write and its Done, or a task (load, a setting) that runs on the
// writer thread between transactions, in queue order.
struct Job {
  const char* name = "";
  WriteFn write;
  Done done;
  std::function<void()> task;
};

constexpr int64_t kNoPageCap = 1073741823;  // SQLITE_MAX_PAGE_COUNT of SQLite 3.40

void run_done(const Done& done, core::Result<bool> result) {
  if (!done) return;
  try {
    done(std::move(result));
  } catch (...) {
    // Exceptions never cross threads (DESIGN.md principle 5): a throwing Done is the caller's
    // bug and must not take the writer thread down with it.
  }
}

// An exclusive flock on <data_dir>/bot2bot.lock for the store's lifetime: two relays sharing
// one data dir would each trust their own memory and overwrite the other's writes.
class DirLock {
 public:
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  core::Result<bool> acquire(const std::string& lock_path, const std::string& db_path) {
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      return core::Error{"storage error", "cannot open database " + db_path + ": cannot open " +
                                              lock_path + ": " + std::strerror(errno)};
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return core::Error{"storage error", "cannot open database " + db_path +
                                              ": the data directory is in use by another store"};
    }
    return true;
  }

 private:
  int fd_ = -1;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path, std::string secret, std::unique_ptr<DirLock> lock)
      : db_(db), path_(std::move(path)), secret_(std::move(secret)), lock_(std::move(lock)) {}
  ~SqliteStore() override { close(); }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  core::Result<bool> start() {
    if (int rc = stmts_.prepare_all(db_); rc != SQLITE_OK) {
      return sqlite::storage_error(rc, "cannot prepare statements for " + path_);
    }
    writer_ = std::thread([this] { writer_loop(); });
    writer_id_ = writer_.get_id();  // published to the writer by the queue mutex
    return true;
  }

  void insert_identity(IdentityRecord r, Done done) override {
    // The flag is set by whichever run of the write commits (a failed group is retried alone).
    auto inserted = std::make_shared<bool>(false);
    enqueue(
        "insert_identity",
        [r = std::move(r), inserted](auto& s) { return s.insert_identity(r, inserted.get()); },
        [inserted, done = std::move(done)](core::Result<bool> result) {
          if (!result) return done(std::move(result));
          done(*inserted);
        });
  }
  void upsert_identity(IdentityRecord r, Done done) override {
    enqueue(
        "upsert_identity", [r = std::move(r)](auto& s) { return s.upsert_identity(r); },
        std::move(done));
  }
  void delete_identity(std::string handle, Done done) override {
    enqueue(
        "delete_identity", [h = std::move(handle)](auto& s) { return s.delete_identity(h); },
        std::move(done));
  }
  void upsert_profile(ProfileRecord r, Done done) override {
    enqueue(
        "upsert_profile", [r = std::move(r)](auto& s) { return s.upsert_profile(r); },
        std::move(done));
  }
  void delete_profile(std::string handle, Done done) override {
    enqueue(
        "delete_profile", [h = std::move(handle)](auto& s) { return s.delete_profile(h); },
        std::move(done));
  }
  void insert_dm(DmRecord r, Done done) override {
    enqueue(
        "insert_dm", [r = std::move(r)](auto& s) { return s.insert_dm(r); }, std::move(done));
  }
  void delete_dm(std::string recipient, std::string id, Done done) override {
    enqueue(
        "delete_dm",
        [r = std::move(recipient), i = std::move(id)](auto& s) { return s.delete_dm(r, i); },
        std::move(done));
  }
  void delete_dms_older_than(int64_t ts, Done done) override {
    enqueue(
        "delete_dms_older_than", [ts](auto& s) { return s.delete_dms_older_than(ts); },
        std::move(done));
  }
  void set_inbox_seq(std::string handle, int64_t seq, Done done) override {
    enqueue(
        "set_inbox_seq", [h = std::move(handle), seq](auto& s) { return s.set_inbox_seq(h, seq); },
        std::move(done));
  }
  void upsert_claim_cursor(ClaimCursorRecord r, Done done) override {
    enqueue(
        "upsert_claim_cursor", [r = std::move(r)](auto& s) { return s.upsert_claim_cursor(r); },
        std::move(done));
  }
  void delete_claim_cursor(std::string handle, std::string room_key, Done done) override {
    enqueue(
        "delete_claim_cursor",
        [h = std::move(handle), k = std::move(room_key)](auto& s) {
          return s.delete_claim_cursor(h, k);
        },
        std::move(done));
  }
  void upsert_room_high_water(RoomHighWater r, Done done) override {
    enqueue(
        "upsert_room_high_water",
        [r = std::move(r)](auto& s) { return s.upsert_room_high_water(r); }, std::move(done));
  }

  void upsert_webhook(WebhookRecord r, Done done) override {
    enqueue(
        "upsert_webhook", [r = std::move(r)](auto& s) { return s.upsert_webhook(r); },
        std::move(done));
  }
  void delete_webhook(std::string id, Done done) override {
    enqueue(
        "delete_webhook", [i = std::move(id)](auto& s) { return s.delete_webhook(i); },
        std::move(done));
  }
  void upsert_webhook_delivery(WebhookDeliveryRecord r, Done done) override {
    enqueue(
        "upsert_webhook_delivery",
        [r = std::move(r)](auto& s) { return s.upsert_webhook_delivery(r); }, std::move(done));
  }
  void delete_webhook_deliveries_before(int64_t ts, Done done) override {
    enqueue(
        "delete_webhook_deliveries_before",
        [ts](auto& s) { return s.delete_webhook_deliveries_before(ts); }, std::move(done));
  }

  core::Result<Snapshot> load() override {
    std::optional<core::Result<Snapshot>> out;
    const bool ran = run_task([&] {
      try {
        out.emplace(sqlite::read_snapshot(db_, path_));
      } catch (const std::exception&) {  // std::bad_alloc on a huge database
        out.emplace(core::Error{"storage error", "cannot read " + path_ + ": out of memory"});
      }
    });
    if (!ran) return core::Error{"storage error", "load: store is closed"};
    return std::move(*out);
  }

  bool set_max_page_count(int64_t pages) {
    const std::string sql =
        "PRAGMA max_page_count = " + std::to_string(pages > 0 ? pages : kNoPageCap);
    return run_task([&] { sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); });
  }

  // The page size is the database's own (4096 unless created otherwise), read on the writer
  // thread like every other use of the connection.
  bool set_max_bytes(uint64_t bytes) {
    return run_task([&] {
      int64_t page_size = 4096;
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db_, "PRAGMA page_size", -1, &stmt, nullptr) == SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW) {
        page_size = std::max<int64_t>(512, sqlite3_column_int64(stmt, 0));
      }
      sqlite3_finalize(stmt);
      const int64_t pages =
          bytes == 0 ? kNoPageCap
                     : std::clamp<int64_t>(static_cast<int64_t>(bytes / page_size), 1, kNoPageCap);
      const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
      sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    });
  }

  void flush() override {
    if (on_writer_thread()) return;  // a Done cannot wait for itself (store.h)
    uint64_t ticket = 0;
    {
      std::lock_guard lock(mu_);
      ticket = enqueued_;
    }
    wait_completed(ticket);
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    work_cv_.notify_all();
    if (on_writer_thread()) return;  // the destructor joins
    std::lock_guard close_lock(close_mu_);
    if (writer_.joinable()) writer_.join();  // the writer drains the queue first
    if (db_ != nullptr) {
      stmts_.finalize_all();
      sqlite3_close(db_);  // checkpoints the WAL into the database file
      db_ = nullptr;
    }
    lock_.reset();  // the data dir may be opened again
  }

  std::string room_key_secret() const override { return secret_; }

  StoreStats stats() const override {
    StoreStats s;
    {
      std::lock_guard lock(mu_);
      s.pending = enqueued_ - completed_;
    }
    s.commits = commits_.load(std::memory_order_relaxed);
    s.writes_ok = writes_ok_.load(std::memory_order_relaxed);
    s.writes_failed = writes_failed_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  bool on_writer_thread() const { return std::this_thread::get_id() == writer_id_; }

  void enqueue(const char* name, WriteFn write, Done done) {
    std::optional<core::Error> refused;
    {
      std::lock_guard lock(mu_);
      if (closing_) {
        refused = core::Error{"storage error", std::string(name) + ": store is closed"};
      } else if (enqueued_ - completed_ >= kSqliteMaxPendingWrites) {
        refused = core::Error{"storage busy", std::string(name) + ": " +
                                                  std::to_string(kSqliteMaxPendingWrites) +
                                                  " writes already queued"};
      } else {
        queue_.push_back(Job{name, std::move(write), std::move(done), {}});
        ++enqueued_;
      }
    }
    if (refused) {
      writes_failed_.fetch_add(1, std::memory_order_relaxed);
      run_done(done, std::move(*refused));  // `done` was not moved from: not queued
      return;
    }
    work_cv_.notify_one();
  }

  // Runs `task` on the writer thread after every job queued before it, and waits for it.
  bool run_task(std::function<void()> task) {
    if (on_writer_thread()) {
      if (db_ == nullptr) return false;
      task();
      return true;
    }
    uint64_t ticket = 0;
    {
      std::lock_guard lock(mu_);
      if (closing_) return false;
      queue_.push_back(Job{"task", {}, {}, std::move(task)});
      ticket = ++enqueued_;
    }
    work_cv_.notify_one();
    wait_completed(ticket);
    return true;
  }

  void wait_completed(uint64_t ticket) {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return completed_ >= ticket; });
  }

  void mark_completed(uint64_t n) {
    {
      std::lock_guard lock(mu_);
      completed_ += n;
    }
    done_cv_.notify_all();
  }

  void writer_loop() {
    std::vector<Job> jobs;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
        if (queue_.empty()) return;  // closing, and everything queued is done
        jobs.swap(queue_);
      }
      run_jobs(jobs);
      jobs.clear();
    }
  }

  // Consecutive writes form one group (one transaction); a task runs between groups.
  void run_jobs(std::vector<Job>& jobs) {
    std::size_t begin = 0;
    while (begin < jobs.size()) {
      std::size_t end = begin + 1;
      if (jobs[begin].task) {
        jobs[begin].task();
      } else {
        while (end < jobs.size() && !jobs[end].task) ++end;
        write_group(jobs, begin, end);
      }
      mark_completed(end - begin);
      begin = end;
    }
  }

  // Group commit: all of jobs[begin, end) in one transaction, then their Dones in order. If the
  // group fails, each write is retried alone so that only the writes that fail report it.
  void write_group(std::vector<Job>& jobs, std::size_t begin, std::size_t end) {
    int rc = stmts_.begin();
    for (std::size_t k = begin; rc == SQLITE_OK && k < end; ++k) rc = jobs[k].write(stmts_);
    if (rc == SQLITE_OK) rc = stmts_.commit();
    if (rc == SQLITE_OK) {
      commits_.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t k = begin; k < end; ++k) finish(jobs[k], true);
      return;
    }
    stmts_.rollback();
    if (end - begin == 1) {
      finish(jobs[begin], sqlite::storage_error(rc, jobs[begin].name));
      return;
    }
    for (std::size_t k = begin; k < end; ++k) {
      int one = stmts_.begin();
      if (one == SQLITE_OK) one = jobs[k].write(stmts_);
      if (one == SQLITE_OK) one = stmts_.commit();
      if (one == SQLITE_OK) {
        commits_.fetch_add(1, std::memory_order_relaxed);
        finish(jobs[k], true);
      } else {
        stmts_.rollback();
        finish(jobs[k], sqlite::storage_error(one, jobs[k].name));
      }
    }
  }

  void finish(Job& job, core::Result<bool> result) {
    (result.ok() ? writes_ok_ : writes_failed_).fetch_add(1, std::memory_order_relaxed);
    run_done(job.done, std::move(result));
  }

  sqlite3* db_;  // touched only by the writer thread once start() returns (and by close())
  sqlite::Statements stmts_;
  const std::string path_;
  const std::string secret_;
  std::unique_ptr<DirLock> lock_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // queue_ not empty, or closing_
  std::condition_variable done_cv_;  // completed_ moved
  std::vector<Job> queue_;
  uint64_t enqueued_ = 0;   // jobs ever queued; a job's ticket is its position
  uint64_t completed_ = 0;  // jobs whose Done (or task) has run
  bool closing_ = false;

  std::mutex close_mu_;
  std::thread writer_;
  std::thread::id writer_id_;
  std::atomic<uint64_t> commits_{0}, writes_ok_{0}, writes_failed_{0};
};

}  // namespace

std::string sqlite_database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir.empty() ? "." : data_dir) / "bot2bot.db").string();
}

std::string sqlite_lock_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir.empty() ? "." : data_dir) / "bot2bot.lock").string();
}

core::Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir) {
  const std::filesystem::path dir = data_dir.empty() ? "." : data_dir;
  const std::string path = sqlite_database_path(data_dir);
  if (sodium_init() < 0) return core::Error{"storage error", "libsodium failed to initialise"};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return core::Error{"storage error", "cannot open database " + path +
                                            ": cannot create its directory: " + ec.message()};
  }
  auto lock = std::make_unique<DirLock>();
  if (auto locked = lock->acquire(sqlite_lock_path(data_dir), path); !locked) {
    return locked.error();
  }
  auto db = sqlite::open_database(path);
  if (!db) return db.error();
  auto secret = sqlite::load_or_create_room_key_secret(db.value(), path);
  if (!secret) {
    sqlite3_close(db.value());
    return secret.error();
  }
  auto store =
      std::make_unique<SqliteStore>(db.value(), path, std::move(secret).value(), std::move(lock));
  if (auto started = store->start(); !started) return started.error();
  return std::unique_ptr<Store>(std::move(store));
}

bool set_sqlite_max_page_count(Store& store, int64_t pages) {
  auto* sqlite_store = dynamic_cast<SqliteStore*>(&store);
  return sqlite_store != nullptr && sqlite_store->set_max_page_count(pages);
}

bool set_sqlite_max_bytes(Store& store, uint64_t bytes) {
  auto* sqlite_store = dynamic_cast<SqliteStore*>(&store);
  return sqlite_store != nullptr && sqlite_store->set_max_bytes(bytes);
}

}  // namespace b2b::store
