#include "registry/registry.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "registry/registration_codec.hpp"
#include "test_support.hpp"

using beacon::Expected;
using namespace beacon::registry;
using beacon::ManualClock;
using beacon::TimePoint;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Names = std::set<std::string>;

namespace {

/// A registration to 10.0.0.1:80, changed by chained setters.
struct R {
  Registration r;
  R() {
    IpAddress ip;
    ip.bytes = {10, 0, 0, 1};
    r.addresses.push_back(ip);
    r.port = 80;
  }
  R& port(std::uint16_t p) { r.port = p; return *this; }
  R& tags(std::vector<std::string> t) { r.tags = std::move(t); return *this; }
  R& ttl(milliseconds d) { r.ttl = d; return *this; }
  R& deregister_after(milliseconds d) { r.deregister_after = d; return *this; }
};

Registration reg(const R& o = R()) { return o.r; }

/// Everything the registry holds, one line per instance, for comparing whole states.
std::vector<std::string> describe(const Registry& registry) {
  std::vector<std::string> out;
  for (const auto& [name, service] : registry.services()) {
    if (service.name != name) out.push_back("service named " + service.name + " under " + name);
    if (service.instances.empty()) out.push_back("empty service " + name);
    for (const auto& [id, i] : service.instances) {
      out.push_back(name + "/" + id + " " + boost::json::serialize(to_json(i.registration)) +
                    " registered_at=" + std::to_string(i.registered_at.time_since_epoch().count()) +
                    " last_heartbeat=" + std::to_string(i.last_heartbeat.time_since_epoch().count()) +
                    " reported=" + health_name(i.reported) + " ttl_expired=" + std::to_string(i.ttl_expired) +
                    " critical_since=" +
                    (i.critical_since ? std::to_string(i.critical_since->time_since_epoch().count()) : "-"));
    }
  }
  return out;
}

/// A registry over a real store in a scratch directory, on a clock that moves when told.
struct Fixture {
  beacon::test::TempDir dir;
  std::filesystem::path db_path = dir.path() / "data" / "beacon.db";
  Store store{db_path};
  ManualClock clock;
  Names reserved{"ns1", "soa-only"};
  int reserved_checks = 0;
  Registry registry{store, clock, [this](const std::string& name) {
                      ++reserved_checks;
                      return reserved.contains(name);
                    }};

  const Instance& instance(const std::string& service, const std::string& id) const {
    const Service* s = registry.find(service);
    REQUIRE_MESSAGE(s != nullptr, "no service ", service);
    const auto it = s->instances.find(id);
    REQUIRE_MESSAGE(it != s->instances.end(), "no instance ", service, "/", id);
    return it->second;
  }
  void put(const std::string& service, const std::string& id, const R& o = R()) {
    const auto outcome = registry.put_instance(service, id, reg(o));
    REQUIRE_MESSAGE(outcome.has_value(), (outcome ? std::string() : outcome.error().message));
  }
  void refuse_writes() {
    beacon::test::exec_sql_beside(db_path,
                "CREATE TRIGGER refuse_insert BEFORE INSERT ON instances BEGIN SELECT RAISE(ABORT, 'test'); END;"
                "CREATE TRIGGER refuse_delete BEFORE DELETE ON instances BEGIN SELECT RAISE(ABORT, 'test'); END;");
  }
  void allow_writes() { beacon::test::exec_sql_beside(db_path, "DROP TRIGGER refuse_insert; DROP TRIGGER refuse_delete;"); }
};

void check_conflict(const Expected<PutOutcome, Refusal>& result, const std::string& field) {
  REQUIRE_MESSAGE(!result.has_value(), "expected a conflict on ", field);
  CHECK(result.error().kind == Refusal::Kind::conflict);
  CHECK(result.error().field == field);
  CHECK(!result.error().message.empty());
}

}  // namespace

TEST_CASE("registry: put_instance creates, then replaces keeping registered_at") {
  Fixture f;
  const TimePoint t0 = f.clock.now();
  const auto first = f.registry.put_instance("web", "a", reg(R().port(80)));
  REQUIRE(first.has_value());
  CHECK(*first == PutOutcome::created);
  CHECK(f.registry.instance_count() == 1);
  CHECK(f.registry.commit() == Names{"web"});

  f.clock.advance(seconds(30));
  const auto second = f.registry.put_instance("web", "a", reg(R().port(8080).tags({"primary"})));
  REQUIRE(second.has_value());
  CHECK(*second == PutOutcome::replaced);
  CHECK(f.registry.instance_count() == 1);
  const Instance& a = f.instance("web", "a");
  CHECK(a.registered_at == t0);
  CHECK(a.last_heartbeat == f.clock.now());
  CHECK(a.registration == reg(R().port(8080).tags({"primary"})));
  CHECK(f.registry.commit() == Names{"web"});

  // Another id is another instance, created.
  const auto third = f.registry.put_instance("web", "b", reg());
  REQUIRE(third.has_value());
  CHECK(*third == PutOutcome::created);
  CHECK(f.instance("web", "b").registered_at == f.clock.now());
  CHECK(f.registry.instance_count() == 2);
}

TEST_CASE("registry: heartbeat of an unknown instance is not_found") {
  Fixture f;
  f.put("web", "a");
  for (const auto& [service, id] : {std::pair{"web", "b"}, std::pair{"api", "a"}}) {
    const auto result = f.registry.heartbeat(service, id, std::nullopt);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == Refusal::Kind::not_found);
    CHECK(result.error().field == "id");
  }
  CHECK(f.registry.heartbeat("web", "a", std::nullopt).has_value());
}

TEST_CASE("registry: remove of an unknown instance is not_found") {
  Fixture f;
  f.put("web", "a");
  f.registry.commit();
  for (const auto& [service, id] : {std::pair{"web", "b"}, std::pair{"api", "a"}}) {
    const auto result = f.registry.remove_instance(service, id);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == Refusal::Kind::not_found);
    CHECK(result.error().field == "id");
  }
  CHECK(f.registry.commit().empty());
  REQUIRE(f.registry.remove_instance("web", "a").has_value());
  // The service stays registered without instances (NODATA in DNS, not NXDOMAIN).
  REQUIRE(f.registry.find("web") != nullptr);
  CHECK(f.registry.find("web")->instances.empty());
  CHECK(f.registry.instance_count() == 0);
  CHECK(f.registry.commit() == Names{"web"});
  CHECK(f.store.load_all().empty());
  CHECK(f.store.load_services().size() == 1);
  CHECK_FALSE(f.registry.remove_instance("web", "a").has_value());
}

TEST_CASE("registry: conflict when an id equals a tag of another instance of the service") {
  Fixture f;
  f.put("web", "a", R().tags({"primary"}));
  f.registry.commit();
  const auto before = describe(f.registry);
  check_conflict(f.registry.put_instance("web", "primary", reg()), "id");
  CHECK(describe(f.registry) == before);
  CHECK(f.registry.instance_count() == 1);
  CHECK(f.registry.commit().empty());
  // Another service may use the name freely.
  CHECK(f.registry.put_instance("api", "primary", reg()).has_value());
}

TEST_CASE("registry: conflict when a tag equals the id of another instance of the service") {
  Fixture f;
  f.put("web", "a");
  f.put("web", "b");
  f.registry.commit();
  const auto before = describe(f.registry);
  check_conflict(f.registry.put_instance("web", "c", reg(R().tags({"b"}))), "tags");
  // Replacing an instance counts too.
  check_conflict(f.registry.put_instance("web", "a", reg(R().tags({"canary", "b"}))), "tags");
  CHECK(describe(f.registry) == before);
  CHECK(f.registry.commit().empty());
  CHECK(f.registry.put_instance("api", "c", reg(R().tags({"b"}))).has_value());
}

TEST_CASE("registry: conflict when a tag equals the instance's own id") {
  Fixture f;
  check_conflict(f.registry.put_instance("web", "a", reg(R().tags({"a"}))), "tags");
  CHECK(f.registry.find("web") == nullptr);
  CHECK(f.registry.instance_count() == 0);
  CHECK(f.registry.commit().empty());
  f.put("web", "a", R().tags({"primary"}));
  check_conflict(f.registry.put_instance("web", "a", reg(R().tags({"a", "primary"}))), "tags");
  CHECK(f.instance("web", "a").registration.tags == std::vector<std::string>{"primary"});
  // Sharing tags between instances is fine.
  CHECK(f.registry.put_instance("web", "b", reg(R().tags({"primary"}))).has_value());
}

TEST_CASE("registry: conflict when the service name is reserved by the zone, for new services only") {
  Fixture f;
  check_conflict(f.registry.put_instance("ns1", "a", reg()), "service");
  CHECK(f.registry.find("ns1") == nullptr);
  CHECK(f.registry.instance_count() == 0);
  CHECK(f.registry.commit().empty());

  f.put("web", "a");
  CHECK(f.reserved_checks == 2);
  // Once the service exists, a later static name does not evict or block it.
  f.reserved.insert("web");
  f.put("web", "b");
  f.put("web", "a", R().port(81));
  CHECK(f.reserved_checks == 2);
  // A service without instances is still registered; once deleted it is a new service again.
  REQUIRE(f.registry.remove_instance("web", "a").has_value());
  REQUIRE(f.registry.remove_instance("web", "b").has_value());
  f.put("web", "a");
  REQUIRE(f.registry.remove_service("web").has_value());
  check_conflict(f.registry.put_instance("web", "a", reg()), "service");

  // Without a predicate nothing is reserved.
  Registry open(f.store, f.clock, nullptr);
  CHECK(open.put_instance("ns1", "a", reg()).has_value());
}

TEST_CASE("registry: heartbeat TTL lapses on the clock and a heartbeat restores passing") {
  Fixture f;
  f.put("web", "a", R().ttl(seconds(10)));
  f.put("web", "b");  // no TTL: never lapses
  CHECK(f.registry.commit() == Names{"web"});

  f.clock.advance(seconds(10));
  f.registry.expire();
  CHECK(f.instance("web", "a").health() == Health::passing);
  CHECK(f.registry.commit().empty());

  f.clock.advance(milliseconds(1));
  f.registry.expire();
  CHECK(f.instance("web", "a").health() == Health::critical);
  CHECK(f.instance("web", "a").critical_since == f.clock.now() - milliseconds(1));
  CHECK(f.instance("web", "b").health() == Health::passing);
  CHECK(f.registry.commit() == Names{"web"});
  f.registry.expire();  // already lapsed: nothing new
  CHECK(f.registry.commit().empty());

  f.clock.advance(seconds(5));
  REQUIRE(f.registry.heartbeat("web", "a", std::nullopt).has_value());
  CHECK(f.instance("web", "a").health() == Health::passing);
  CHECK_FALSE(f.instance("web", "a").critical_since.has_value());
  CHECK(f.registry.commit() == Names{"web"});
  // The TTL counts from the heartbeat.
  f.clock.advance(seconds(10));
  f.registry.expire();
  CHECK(f.instance("web", "a").health() == Health::passing);
  f.clock.advance(milliseconds(1));
  f.registry.expire();
  CHECK(f.instance("web", "a").health() == Health::critical);
  // Registering again renews the TTL too.
  f.put("web", "a", R().ttl(seconds(10)));
  CHECK(f.instance("web", "a").health() == Health::passing);
}

TEST_CASE("registry: heartbeat status warning and critical") {
  Fixture f;
  f.put("web", "a", R().ttl(seconds(10)));
  f.registry.commit();
  const TimePoint t0 = f.clock.now();

  REQUIRE(f.registry.heartbeat("web", "a", Health::warning).has_value());
  CHECK(f.instance("web", "a").health() == Health::warning);
  CHECK_FALSE(f.instance("web", "a").critical_since.has_value());
  CHECK(f.registry.commit() == Names{"web"});
  // A heartbeat without a status keeps the reported one.
  f.clock.advance(seconds(1));
  REQUIRE(f.registry.heartbeat("web", "a", std::nullopt).has_value());
  CHECK(f.instance("web", "a").health() == Health::warning);
  CHECK(f.registry.commit().empty());

  f.clock.advance(seconds(1));
  REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
  CHECK(f.instance("web", "a").health() == Health::critical);
  CHECK(f.instance("web", "a").critical_since == t0 + seconds(2));
  CHECK(f.registry.commit() == Names{"web"});
  // Still critical: critical_since stays where it started.
  f.clock.advance(seconds(1));
  REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
  CHECK(f.instance("web", "a").critical_since == t0 + seconds(2));
  CHECK(f.registry.commit().empty());

  REQUIRE(f.registry.heartbeat("web", "a", Health::passing).has_value());
  CHECK(f.instance("web", "a").health() == Health::passing);
  CHECK_FALSE(f.instance("web", "a").critical_since.has_value());
  CHECK(f.registry.commit() == Names{"web"});
}

TEST_CASE("registry: deregister_after counts from entering critical and removes at the bound") {
  Fixture f;
  const TimePoint t0 = f.clock.now();
  f.put("web", "a", R().ttl(seconds(10)).deregister_after(seconds(30)));
  f.registry.commit();

  SUBCASE("the last instance, and with it the service") {
    f.clock.advance(seconds(12));
    f.registry.expire();
    CHECK(f.instance("web", "a").critical_since == t0 + seconds(10));  // when the TTL lapsed, not now
    f.registry.commit();

    f.clock.advance(t0 + seconds(40) - milliseconds(1) - f.clock.now());
    f.registry.expire();
    REQUIRE(f.registry.find("web") != nullptr);
    CHECK(f.registry.commit().empty());

    f.clock.advance(milliseconds(1));
    f.registry.expire();
    CHECK(f.registry.find("web")->instances.empty());  // the service stays registered
    CHECK(f.registry.instance_count() == 0);
    CHECK(f.registry.commit() == Names{"web"});
    CHECK(f.store.load_all().empty());
  }
  SUBCASE("one of two instances") {
    f.put("web", "b");
    f.registry.commit();
    f.clock.advance(seconds(11));
    f.registry.expire();
    f.clock.advance(seconds(29));
    f.registry.expire();
    CHECK(f.registry.find("web")->instances.size() == 1);
    CHECK(f.registry.find("web")->instances.contains("b"));
    CHECK(f.registry.instance_count() == 1);
    CHECK(f.registry.commit() == Names{"web"});
    REQUIRE(f.store.load_all().size() == 1);
    CHECK(f.store.load_all()[0].id == "b");
  }
  SUBCASE("an expiry run late, past both bounds at once") {
    f.clock.advance(seconds(45));
    f.registry.expire();
    CHECK(f.registry.find("web")->instances.empty());  // the service stays registered
    CHECK(f.registry.commit() == Names{"web"});
  }
  SUBCASE("a heartbeat before the bound saves it") {
    f.clock.advance(seconds(39));
    f.registry.expire();
    REQUIRE(f.registry.heartbeat("web", "a", std::nullopt).has_value());
    f.clock.advance(seconds(5));
    f.registry.expire();
    CHECK(f.instance("web", "a").health() == Health::passing);
  }
  SUBCASE("critical reported by heartbeat counts from that heartbeat") {
    f.clock.advance(seconds(5));
    REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
    // Heartbeats keep coming (no TTL lapse), still critical.
    for (int i = 0; i < 4; ++i) {
      f.clock.advance(seconds(7));
      REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
      f.registry.expire();
    }
    CHECK(f.clock.now() == t0 + seconds(33));
    REQUIRE(f.registry.find("web") != nullptr);
    f.clock.advance(seconds(2) - milliseconds(1));
    f.registry.expire();
    REQUIRE(f.registry.find("web") != nullptr);
    f.clock.advance(milliseconds(1));  // t0 + 35s: 30s after the critical heartbeat
    f.registry.expire();
    CHECK(f.registry.find("web")->instances.empty());  // the service stays registered
  }
  SUBCASE("re-registering a critical instance does not restart the count") {
    f.clock.advance(seconds(5));
    REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
    f.clock.advance(seconds(10));
    f.put("web", "a", R().port(81).ttl(seconds(10)).deregister_after(seconds(30)));
    CHECK(f.instance("web", "a").health() == Health::critical);
    CHECK(f.instance("web", "a").critical_since == t0 + seconds(5));
    f.clock.advance(seconds(20));  // t0 + 35s
    REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
    f.registry.expire();
    CHECK(f.registry.find("web")->instances.empty());  // the service stays registered
  }
  SUBCASE("without deregister_after an instance stays critical") {
    f.put("web", "a", R().ttl(seconds(10)));
    f.clock.advance(seconds(3600));
    f.registry.expire();
    f.clock.advance(seconds(3600));
    f.registry.expire();
    CHECK(f.instance("web", "a").health() == Health::critical);
  }
}

TEST_CASE("registry: commit returns the changed services and clears them") {
  Fixture f;
  CHECK(f.registry.commit().empty());
  f.put("web", "a");
  f.put("db", "a");
  f.put("web", "b");
  CHECK(f.registry.commit() == Names{"db", "web"});
  CHECK(f.registry.commit().empty());
  REQUIRE(f.registry.remove_instance("db", "a").has_value());
  f.put("api", "a");
  REQUIRE(f.registry.remove_instance("api", "a").has_value());  // created and gone within the batch
  CHECK(f.registry.commit() == Names{"api", "db"});
  CHECK(f.registry.commit().empty());
  // Health changes from heartbeats count; heartbeats that change nothing do not.
  REQUIRE(f.registry.heartbeat("web", "a", std::nullopt).has_value());
  CHECK(f.registry.commit().empty());
  REQUIRE(f.registry.heartbeat("web", "a", Health::warning).has_value());
  CHECK(f.registry.commit() == Names{"web"});
}

TEST_CASE("registry: load restores every committed registration, TTLs with one TTL of grace") {
  Fixture f;
  f.put("web", "a", R().port(8080).tags({"primary"}).ttl(seconds(10)).deregister_after(seconds(60)));
  f.clock.advance(seconds(1));
  f.put("web", "b", R().port(8081).tags({"canary"}));
  f.put("db", "main", R().port(5432));
  f.put("gone", "x");
  f.registry.commit();
  REQUIRE(f.registry.remove_instance("gone", "x").has_value());
  f.put("web", "a", R().port(9090).tags({"primary"}).ttl(seconds(10)).deregister_after(seconds(60)));
  f.registry.commit();
  f.put("web", "uncommitted");  // staged only: not durable, must not come back

  // Long after: the TTL of web/a lapsed before the "restart".
  f.clock.advance(seconds(300));
  const TimePoint start = f.clock.now();
  Registry loaded(f.store, f.clock, nullptr);
  loaded.load();
  CHECK(loaded.instance_count() == 3);
  CHECK(loaded.commit() == Names{"db", "gone", "web"});
  REQUIRE(loaded.services().size() == 3);
  CHECK(loaded.find("gone")->instances.empty());
  for (const auto& [name, service] : loaded.services()) {
    CAPTURE(name);
    CHECK(service.name == name);
    for (const auto& [id, instance] : service.instances) {
      CAPTURE(id);
      const Instance& original = f.instance(name, id);
      CHECK(instance.registration == original.registration);
      CHECK(instance.registered_at == original.registered_at);
      CHECK(instance.health() == Health::passing);
      CHECK(instance.last_heartbeat == start);
    }
  }
  CHECK(loaded.find("web")->instances.size() == 2);
  CHECK(loaded.find("web")->instances.at("a").registration.port == 9090);

  f.clock.advance(seconds(10));
  loaded.expire();
  CHECK(loaded.find("web")->instances.at("a").health() == Health::passing);
  f.clock.advance(milliseconds(1));
  loaded.expire();
  CHECK(loaded.find("web")->instances.at("a").health() == Health::critical);
  CHECK(loaded.find("web")->instances.at("b").health() == Health::passing);
}

TEST_CASE("registry: a refused write changes nothing") {
  Fixture f;
  f.put("web", "a", R().port(80).tags({"primary"}).ttl(seconds(10)));
  f.put("web", "b", R().port(81));
  f.put("db", "main", R().port(5432));
  f.registry.commit();
  f.clock.advance(seconds(5));
  const auto before = describe(f.registry);
  const std::size_t count_before = f.registry.instance_count();
  const auto stored_before = f.store.load_all().size();
  f.refuse_writes();

  SUBCASE("create") {
    f.put("web", "c", R().port(82));
    f.put("api", "a");
  }
  SUBCASE("replace") {
    f.put("web", "a", R().port(8080).tags({"canary"}));
    f.put("db", "main", R().port(5433).ttl(seconds(3)));
  }
  SUBCASE("delete") {
    REQUIRE(f.registry.remove_instance("web", "b").has_value());
    REQUIRE(f.registry.remove_instance("db", "main").has_value());  // the last of its service
  }
  SUBCASE("several writes to the same instances") {
    f.put("web", "a", R().port(1));
    REQUIRE(f.registry.remove_instance("web", "a").has_value());
    f.put("web", "a", R().port(2).tags({"b-side"}));
    REQUIRE(f.registry.remove_instance("db", "main").has_value());
    f.put("db", "main", R().port(3));
    f.put("api", "x");
    REQUIRE(f.registry.remove_instance("api", "x").has_value());
    f.put("api", "y");
  }
  CHECK(describe(f.registry) != before);
  CHECK_THROWS_AS(f.registry.commit(), StoreError);
  CHECK(describe(f.registry) == before);
  CHECK(f.registry.instance_count() == count_before);

  // Nothing reached the store either, and the registry works on.
  f.allow_writes();
  CHECK(f.store.load_all().size() == stored_before);
  (void)f.registry.commit();
  f.put("web", "d");
  CHECK(f.registry.commit() == Names{"web"});
  CHECK(f.store.load_all().size() == stored_before + 1);
  CHECK(f.registry.instance_count() == count_before + 1);
}

TEST_CASE("registry: a refused write keeps heartbeat health changes for the next commit") {
  Fixture f;
  f.put("web", "a");
  f.put("db", "main");
  f.registry.commit();
  f.refuse_writes();
  // Heartbeats live in memory: the refused batch does not undo them, so DNS must still hear.
  REQUIRE(f.registry.heartbeat("db", "main", Health::critical).has_value());
  f.put("web", "b");
  CHECK_THROWS_AS(f.registry.commit(), StoreError);
  CHECK(f.instance("db", "main").health() == Health::critical);
  f.allow_writes();
  CHECK(f.registry.commit().contains("db"));
}

TEST_CASE("registry: a refused commit undoes the writes but keeps TTL lapses, which are facts of time") {
  Fixture f;
  f.put("web", "a", R().ttl(seconds(5)));
  f.registry.commit();
  f.refuse_writes();
  f.clock.advance(seconds(6));
  f.registry.expire();
  f.put("web", "c");
  CHECK_THROWS_AS(f.registry.commit(), StoreError);
  CHECK_FALSE(f.registry.find("web")->instances.contains("c"));
  CHECK(f.instance("web", "a").health() == Health::critical);
  f.allow_writes();
  CHECK(f.registry.commit() == Names{"web"});  // the lapse still reaches DNS
}

TEST_CASE("registry: remove_service removes the service and its instances, durably") {
  Fixture f;
  f.put("web", "a");
  f.put("web", "b");
  f.put("db", "main");
  f.registry.commit();
  REQUIRE(f.registry.remove_service("web").has_value());
  CHECK(f.registry.find("web") == nullptr);
  CHECK(f.registry.instance_count() == 1);
  CHECK(f.registry.commit() == Names{"web"});
  CHECK(f.store.load_all().size() == 1);
  CHECK(f.store.load_services().size() == 1);
  const auto missing = f.registry.remove_service("web");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == Refusal::Kind::not_found);
}

TEST_CASE("registry: check results set the instance's health, worst of check and heartbeat") {
  Fixture f;
  CheckSpec check;
  check.kind = CheckSpec::Kind::tcp;
  check.host = "127.0.0.1";
  check.port = 9;
  Registration r = reg(R().ttl(seconds(5)));
  r.check = check;
  REQUIRE(f.registry.put_instance("web", "a", r).has_value());
  f.registry.commit();
  CHECK(f.instance("web", "a").health() == Health::passing);
  f.registry.apply_check_results({{"web", "a", Health::warning, "HTTP 429", f.clock.now()}});
  CHECK(f.instance("web", "a").health() == Health::warning);
  CHECK(f.registry.commit() == Names{"web"});
  f.registry.apply_check_results({{"web", "a", Health::warning, "HTTP 429", f.clock.now()}});
  CHECK(f.registry.commit().empty());  // same health: no rebuild
  REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
  CHECK(f.instance("web", "a").health() == Health::critical);  // worst of critical and warning
  REQUIRE(f.registry.heartbeat("web", "a", Health::passing).has_value());
  CHECK(f.instance("web", "a").health() == Health::warning);
  CHECK(f.instance("web", "a").check->output == "HTTP 429");
  f.registry.apply_check_results({{"web", "gone", Health::critical, "x", f.clock.now()}});  // ignored
}
