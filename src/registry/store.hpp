#pragma once
// Durable registrations in SQLite (WAL, synchronous=FULL): one row per instance. Heartbeat
// times and health stay in memory; they are not worth an fsync each.
// The only includer of sqlite3.h; the handle never leaves store.cpp.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "registry/model.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace beacon::registry {

/// The store cannot be opened, read or written. The message says which file and why, in
/// words fit for an operator (never SQL).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoredInstance {
  std::string service;
  std::string id;
  Registration registration;
  TimePoint registered_at{};
};

struct RemovedInstance {
  std::string service;
  std::string id;
};

struct StoredService {
  std::string name;
  TimePoint created_at{};
};

/// Removes the service and every instance of it.
struct RemovedService {
  std::string name;
};

using StoreChange = std::variant<StoredInstance, RemovedInstance, StoredService, RemovedService>;

class Store {
 public:
  /// Opens (creating if needed) the database at `path` and checks that it can be written.
  explicit Store(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Hands every stored instance to `visit`, one row at a time.
  void for_each_instance(const std::function<void(StoredInstance&&)>& visit);
  std::vector<StoredInstance> load_all();
  std::vector<StoredService> load_services();

  /// Applies every change in one transaction: when this returns, they are durable; when it
  /// throws, none of them happened.
  void commit(const std::vector<StoreChange>& changes);

  const std::filesystem::path& path() const { return path_; }

 private:
  /// Throws a StoreError telling the operator what to do if the file is not a sound SQLite
  /// database; runs before any write, so a damaged file is never changed.
  void check_integrity();
  void exec(const char* sql);
  void apply(const StoreChange& change);
  /// The write statement for `sql` (a string literal), prepared once and kept: a batch of
  /// registrations then costs no SQL parsing per row.
  sqlite3_stmt* statement(const char* sql);
  struct StatementFree {
    void operator()(sqlite3_stmt* s) const;
  };
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::map<std::string_view, std::unique_ptr<sqlite3_stmt, StatementFree>> statements_;  // keyed by the SQL literal
};

}  // namespace beacon::registry
