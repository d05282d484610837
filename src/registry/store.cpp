#include "registry/store.hpp"

#include <sqlite3.h>

#include <array>
#include <string_view>

#include <boost/json.hpp>

#include "registry/registration_codec.hpp"

namespace beacon::registry {
namespace {

struct StatementFree {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFree>;

constexpr int schema_version = 1;

}  // namespace

Store::Store(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    throw StoreError("cannot create the data directory " + path.parent_path().string() + " for the database " +
                     path.string() + ": " + ec.message());
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open the database " + path.string() + ": " + why);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    check_integrity();  // before anything below writes to the file
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");  // a commit survives power loss, not only a crash
    // The B-tree's inner pages stay cached (a million instances need ~2 MiB of them), so a
    // write reads at most its leaf. No mmap: start-up reads the whole file once, and mapped
    // pages would then sit in RSS for the life of the process (70 MiB at 500 000 instances).
    exec("PRAGMA cache_size=-8192");  // KiB
    exec("CREATE TABLE IF NOT EXISTS instances ("
         " service TEXT NOT NULL, id TEXT NOT NULL, registration TEXT NOT NULL,"
         " registered_at_ms INTEGER NOT NULL, PRIMARY KEY (service, id)) WITHOUT ROWID");
    exec("CREATE TABLE IF NOT EXISTS services ("
         " name TEXT NOT NULL PRIMARY KEY, created_at_ms INTEGER NOT NULL) WITHOUT ROWID");
    exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str());
    // Prove now, not at the first registration, that the file is writable.
    exec("BEGIN IMMEDIATE");
    exec("COMMIT");
  } catch (...) {
    sqlite3_close(db_);  // no destructor runs for a half-constructed Store
    db_ = nullptr;
    throw;
  }
}

Store::~Store() {
  statements_.clear();  // finalized before the connection closes
  sqlite3_close(db_);
}

void Store::StatementFree::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

sqlite3_stmt* Store::statement(const char* sql) {
  auto& slot = statements_[sql];
  if (!slot) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) return nullptr;
    slot.reset(raw);
  }
  return slot.get();
}

void Store::check_integrity() {
  const auto refuse = [this](const std::string& why) {
    throw StoreError("database " + path_.string() + " is corrupt or not a beacon database (" + why +
                     "); it was left untouched: restore it from a backup, or move it aside to start with an "
                     "empty registry");
  };
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &raw, nullptr) != SQLITE_OK) refuse(sqlite3_errmsg(db_));
  Statement check(raw);
  const int rc = sqlite3_step(check.get());
  if (rc != SQLITE_ROW) refuse(sqlite3_errmsg(db_));
  const auto* first = reinterpret_cast<const char*>(sqlite3_column_text(check.get(), 0));
  if (first == nullptr || std::string_view(first) != "ok") refuse(first ? first : "quick_check failed");
}

void Store::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw StoreError("database " + path_.string() + " is not usable: " + why);
  }
}

void Store::for_each_instance(const std::function<void(StoredInstance&&)>& visit) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT service, id, registration, registered_at_ms FROM instances", -1, &raw, nullptr) !=
      SQLITE_OK)
    throw StoreError("cannot read the database " + path_.string() + ": " + sqlite3_errmsg(db_));
  Statement select(raw);
  // Each row's JSON is parsed into one reused buffer rather than a heap block per value:
  // start-up reads a million of them.
  std::array<unsigned char, 4096> parse_buffer;
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    StoredInstance row;
    row.service = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
    row.id = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 1));
    const std::string_view body(reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 2)),
                                static_cast<std::size_t>(sqlite3_column_bytes(select.get(), 2)));
    row.registered_at = TimePoint(std::chrono::milliseconds(sqlite3_column_int64(select.get(), 3)));
    boost::json::monotonic_resource memory(parse_buffer.data(), parse_buffer.size());
    boost::system::error_code ec;
    const auto value = boost::json::parse(body, ec, &memory);
    auto parsed = ec ? Expected<Registration, Refusal>(unexpected(invalid("", "not JSON"))) : parse_registration(value);
    if (!parsed)
      throw StoreError("database " + path_.string() + " holds an unreadable registration for " + row.service + "/" +
                       row.id + ": " + parsed.error().field + " " + parsed.error().message);
    row.registration = std::move(parsed).value();
    visit(std::move(row));
  }
  if (rc != SQLITE_DONE) throw StoreError("cannot read the database " + path_.string() + ": " + sqlite3_errmsg(db_));
}

std::vector<StoredInstance> Store::load_all() {
  std::vector<StoredInstance> out;
  for_each_instance([&](StoredInstance&& row) { out.push_back(std::move(row)); });
  return out;
}

std::vector<StoredService> Store::load_services() {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT name, created_at_ms FROM services", -1, &raw, nullptr) != SQLITE_OK)
    throw StoreError("cannot read the database " + path_.string() + ": " + sqlite3_errmsg(db_));
  Statement select(raw);
  std::vector<StoredService> out;
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    out.push_back({reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0)),
                   TimePoint(std::chrono::milliseconds(sqlite3_column_int64(select.get(), 1)))});
  }
  if (rc != SQLITE_DONE) throw StoreError("cannot read the database " + path_.string() + ": " + sqlite3_errmsg(db_));
  return out;
}

namespace {

using Param = std::variant<std::string, std::int64_t>;

/// Runs a prepared statement with its parameters and resets it; false if SQLite refused it.
bool run(sqlite3_stmt* statement, std::initializer_list<Param> params) {
  if (statement == nullptr) return false;
  int index = 1;
  for (const Param& p : params) {
    if (const auto* text = std::get_if<std::string>(&p))
      sqlite3_bind_text(statement, index++, text->data(), static_cast<int>(text->size()), SQLITE_STATIC);
    else sqlite3_bind_int64(statement, index++, std::get<std::int64_t>(p));
  }
  const bool done = sqlite3_step(statement) == SQLITE_DONE;
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);  // SQLITE_STATIC: no pointer into `params` may outlive this call
  return done;
}

std::int64_t millis(TimePoint t) { return t.time_since_epoch().count(); }

}  // namespace

void Store::apply(const StoreChange& change) {
  bool ok = true;
  if (const auto* instance = std::get_if<StoredInstance>(&change)) {
    ok = run(statement("INSERT OR REPLACE INTO instances (service, id, registration, registered_at_ms) VALUES (?, ?, ?, ?)"),
             {instance->service, instance->id, boost::json::serialize(to_json(instance->registration)),
              millis(instance->registered_at)});
  } else if (const auto* removed = std::get_if<RemovedInstance>(&change)) {
    ok = run(statement("DELETE FROM instances WHERE service = ? AND id = ?"), {removed->service, removed->id});
  } else if (const auto* service = std::get_if<StoredService>(&change)) {
    ok = run(statement("INSERT OR IGNORE INTO services (name, created_at_ms) VALUES (?, ?)"),
             {service->name, millis(service->created_at)});
  } else {
    const auto& gone = std::get<RemovedService>(change);
    ok = run(statement("DELETE FROM instances WHERE service = ?"), {gone.name}) &&
         run(statement("DELETE FROM services WHERE name = ?"), {gone.name});
  }
  if (!ok) throw StoreError("cannot write the database " + path_.string() + ": " + sqlite3_errmsg(db_));
}

void Store::commit(const std::vector<StoreChange>& changes) {
  if (changes.empty()) return;
  exec("BEGIN IMMEDIATE");
  try {
    for (const StoreChange& change : changes) apply(change);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace beacon::registry
