#include "registry/store.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "test_support.hpp"

using namespace beacon::registry;
using beacon::TimePoint;
using std::chrono::milliseconds;

namespace {

Registration registration(std::uint8_t last_octet, std::uint16_t port) {
  Registration r;
  IpAddress ip;
  ip.bytes = {10, 0, 0, last_octet};
  r.addresses.push_back(ip);
  r.port = port;
  return r;
}

StoredInstance stored(std::string service, std::string id, Registration r, TimePoint at = TimePoint(milliseconds(1))) {
  return StoredInstance{std::move(service), std::move(id), std::move(r), at};
}

/// Rows as "service/id:port", sorted.
std::vector<std::string> rows(Store& store) {
  std::vector<std::string> out;
  for (const auto& row : store.load_all())
    out.push_back(row.service + "/" + row.id + ":" + std::to_string(row.registration.port));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("registry store: open creates the parent directories") {
  beacon::test::TempDir dir;
  const auto path = dir.path() / "a" / "b" / "beacon.db";
  Store store(path);
  CHECK(std::filesystem::is_regular_file(path));
  CHECK(store.path() == path);
  CHECK(store.load_all().empty());
}

TEST_CASE("registry store: load_all returns what commit stored") {
  beacon::test::TempDir dir;
  const auto path = dir.path() / "beacon.db";
  Registration full = registration(5, 8080);
  IpAddress v6;
  v6.is_v6 = true;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  full.addresses.push_back(v6);
  full.protocol = Protocol::udp;
  full.tags = {"canary", "primary"};
  full.meta = {{"env", "prod"}, {"version", "1.4.2"}};
  full.weight = 0;
  full.priority = 7;
  full.ttl = milliseconds(1500);
  full.deregister_after = milliseconds(600'000);
  full.dns_ttl = 0;
  const TimePoint at(milliseconds(1'700'000'000'123));
  {
    Store store(path);
    store.commit({stored("web", "a", full, at), stored("web", "b", registration(6, 80)),
                  stored("db", "a", registration(7, 5432))});
  }
  Store store(path);  // reopened: the rows are durable
  auto all = store.load_all();
  REQUIRE(all.size() == 3);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.service + x.id < y.service + y.id; });
  CHECK(all[0].service == "db");
  CHECK(all[0].id == "a");
  CHECK(all[0].registration == registration(7, 5432));
  CHECK(all[1].service == "web");
  CHECK(all[1].id == "a");
  CHECK(all[1].registration == full);
  CHECK(all[1].registered_at == at);
  CHECK(all[2].registration == registration(6, 80));

  // A put of an existing key replaces it; a remove deletes it; removing nothing is no error.
  store.commit({stored("web", "a", registration(5, 9090), at), RemovedInstance{"db", "a"}, RemovedInstance{"db", "zz"}});
  CHECK(rows(store) == std::vector<std::string>{"web/a:9090", "web/b:80"});
  store.commit({});
  CHECK(rows(store) == std::vector<std::string>{"web/a:9090", "web/b:80"});
}

TEST_CASE("registry store: a commit is all or nothing") {
  beacon::test::TempDir dir;
  const auto path = dir.path() / "beacon.db";
  Store store(path);
  store.commit({stored("web", "a", registration(1, 80)), stored("web", "b", registration(2, 80))});
  // A change in the middle of the batch fails: the one before it must not survive.
  beacon::test::exec_sql_beside(path,
              "CREATE TRIGGER refuse_bad BEFORE INSERT ON instances WHEN NEW.id = 'bad'"
              " BEGIN SELECT RAISE(ABORT, 'refused by test'); END;");
  CHECK_THROWS_AS(store.commit({stored("web", "c", registration(3, 80)), RemovedInstance{"web", "a"},
                                stored("web", "bad", registration(4, 80)), RemovedInstance{"web", "b"}}),
                  StoreError);
  CHECK(rows(store) == std::vector<std::string>{"web/a:80", "web/b:80"});
  // The store is still usable afterwards.
  store.commit({stored("web", "c", registration(3, 81)), RemovedInstance{"web", "a"}});
  CHECK(rows(store) == std::vector<std::string>{"web/b:80", "web/c:81"});
}

TEST_CASE("registry store: an unusable path throws StoreError naming it") {
  beacon::test::TempDir dir;
  SUBCASE("the parent is a regular file") {
    const auto file = dir.write("not-a-dir", "x");
    const auto path = file / "beacon.db";
    try {
      Store store(path);
      FAIL("opened ", path);
    } catch (const StoreError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(path.string()) != std::string::npos, std::string(e.what()));
    }
  }
  SUBCASE("the path is a directory") {
    const auto path = dir.path() / "db-dir";
    std::filesystem::create_directories(path);
    try {
      Store store(path);
      FAIL("opened ", path);
    } catch (const StoreError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(path.string()) != std::string::npos, std::string(e.what()));
    }
  }
  SUBCASE("the file is not a database") {
    const auto path = dir.write("garbage.db", std::string(8192, 'g'));
    try {
      Store store(path);
      FAIL("opened ", path);
    } catch (const StoreError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(path.string()) != std::string::npos, std::string(e.what()));
    }
  }
}

TEST_CASE("registry store: an unreadable stored registration throws StoreError") {
  beacon::test::TempDir dir;
  const auto path = dir.path() / "beacon.db";
  Store store(path);
  beacon::test::exec_sql_beside(path, "INSERT INTO instances VALUES ('web', 'a', '{\"port\": 80}', 0)");
  try {
    (void)store.load_all();
    FAIL("loaded a registration without an address");
  } catch (const StoreError& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.find(path.string()) != std::string::npos, what);
    CHECK_MESSAGE(what.find("web/a") != std::string::npos, what);
  }
}
