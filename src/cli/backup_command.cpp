// `bot2bot backup --data-dir DIR OUT` and `bot2bot restore --data-dir DIR IN`: the operator's
// copy of the embedded store (docs/OPERATIONS.md "Backups"). Room messages are not in it: they
// live only in memory (DESIGN.md principle 7).
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "core/result.h"
#include "store/sqlite_backup.h"
#include "store/sqlite_store.h"

namespace b2b::cli {
namespace {

// Exit codes of both commands (documented in their --help and docs/OPERATIONS.md).
constexpr int kExitInvalidBackup = 3;  // restore: the input is not a usable bot2bot backup
constexpr int kExitDataDirInUse = 4;   // restore: a relay is serving from the data dir
constexpr const char* kExitHelp =
    "Exit codes: 0 ok, 2 usage or storage error, 3 the backup file is corrupt or not a bot2bot "
    "database (restore), 4 a relay is serving from --data-dir (restore).";

// Progress lines only for databases big enough to take a while (> 10 MiB of 4 KiB pages), at
// most one a second.
constexpr int64_t kProgressMinPages = 2560;

int parse(CLI::App& app, int argc, char** argv) {
  app.footer(kExitHelp);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  }
  return -1;
}

void add_data_dir_option(CLI::App& app, std::string& data_dir) {
  app.add_option("--data-dir", data_dir, "The relay's data directory (as given to serve)")
      ->envname("BOT2BOT_DATA_DIR")
      ->capture_default_str();
}

std::string facts_text(const store::DatabaseFacts& f) {
  return std::to_string(f.bytes) + " bytes, schema version " + std::to_string(f.schema_version) +
         ", " + std::to_string(f.identities) + " identities, " + std::to_string(f.profiles) +
         " profiles, " + std::to_string(f.dms) + " DMs";
}

int fail_with_code(std::string_view what, const core::Error& error) {
  fail(what, error);
  if (error.error == store::kInvalidBackup) return kExitInvalidBackup;
  if (error.error == store::kDataDirInUse) return kExitDataDirInUse;
  return kExitError;
}

}  // namespace

int backup_command(int argc, char** argv) {
  CLI::App app{
      "Copy the relay's database (identities, profiles, DM inboxes, claim cursors, room seq "
      "marks, webhooks) to OUT while it serves. The copy is consistent, checked with PRAGMA "
      "integrity_check, written to OUT.partial and renamed. Room messages are not included: "
      "they are kept in memory only.",
      "bot2bot backup"};
  std::string data_dir = "./data";
  std::string out;
  add_data_dir_option(app, data_dir);
  app.add_option("OUT", out, "The backup file to write (replaced if it exists)")->required();
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;

  using Clock = std::chrono::steady_clock;
  auto last_report = Clock::now();
  auto report = [&last_report](const store::BackupProgress& p) {
    if (p.total_pages < kProgressMinPages) return;
    const auto now = Clock::now();
    if (p.copied_pages < p.total_pages && now - last_report < std::chrono::seconds(1)) return;
    last_report = now;
    std::cerr << "bot2bot backup: " << (p.copied_pages * 100 / p.total_pages) << "% ("
              << p.copied_pages << " of " << p.total_pages << " pages)\n";
  };
  auto facts = store::backup_sqlite_store(data_dir, out, report);
  if (!facts) return fail_with_code("backup", facts.error());
  std::cout << "bot2bot backup: wrote " << out << " (" << facts_text(facts.value())
            << "; integrity ok)\n";
  return kExitOk;
}

int restore_command(int argc, char** argv) {
  CLI::App app{
      "Replace the relay's database with a backup made by `bot2bot backup`. Refused while a "
      "relay serves from --data-dir. IN is checked first (PRAGMA integrity_check, schema "
      "version, room key secret); the database it replaces is kept as bot2bot.db.bak. Start "
      "the relay afterwards: an older schema is migrated then.",
      "bot2bot restore"};
  std::string data_dir = "./data";
  std::string in;
  add_data_dir_option(app, data_dir);
  app.add_option("IN", in, "The backup file to restore")->required();
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;

  auto restored = store::restore_sqlite_store(data_dir, in);
  if (!restored) return fail_with_code("restore", restored.error());
  std::cout << "bot2bot restore: restored " << in << " into "
            << store::sqlite_database_path(data_dir) << " (" << facts_text(restored.value().facts)
            << ")\n";
  if (!restored.value().previous.empty()) {
    std::cout << "bot2bot restore: the previous database is kept as " << restored.value().previous
              << "\n";
  }
  return kExitOk;
}

}  // namespace b2b::cli
