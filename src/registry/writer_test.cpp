#include "registry/writer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "test_support.hpp"

using namespace beacon::registry;
using Names = std::set<std::string>;

namespace {

Registration reg(std::uint16_t port = 80) {
  Registration r;
  IpAddress ip;
  ip.bytes = {10, 0, 0, 1};
  r.addresses.push_back(ip);
  r.port = port;
  return r;
}

/// A writer whose `post` queues work for the test to run, and whose publish is recorded.
struct Fixture {
  beacon::test::TempDir dir;
  std::filesystem::path db_path = dir.path() / "beacon.db";
  Store store{db_path};
  beacon::ManualClock clock;
  Registry registry{store, clock, nullptr};
  std::vector<std::function<void()>> posted;
  std::vector<Names> published;
  Writer writer{registry, [this](std::function<void()> f) { posted.push_back(std::move(f)); },
                [this](const Names& changed) { published.push_back(changed); }};

  void put(const std::string& service, const std::string& id, std::uint16_t port = 80) {
    REQUIRE(registry.put_instance(service, id, reg(port)).has_value());
  }
  /// Runs what was posted so far (and not what that posts in turn); returns how many ran.
  std::size_t run_posted() {
    auto batch = std::exchange(posted, {});
    for (auto& f : batch) f();
    return batch.size();
  }
  /// Runs posted work, and what that posts, until nothing is left; returns how many ran.
  std::size_t drain() {
    std::size_t n = 0;
    while (!posted.empty()) n += run_posted();
    return n;
  }
  /// commit_then whose outcomes land in `outcomes`.
  void commit_then(std::vector<bool>& outcomes) {
    writer.commit_then([&outcomes](bool durable) { outcomes.push_back(durable); });
  }
};

}  // namespace

TEST_CASE("registry writer: commit_then batches calls into one commit and one publish") {
  Fixture f;
  std::vector<bool> first, second, third;
  f.put("web", "a");
  f.commit_then(first);
  f.put("db", "main");
  f.commit_then(second);
  f.put("web", "b");
  f.commit_then(third);

  // Nothing happens inline: one flush is posted, nothing is durable or published yet.
  CHECK(f.posted.size() == 1);
  CHECK(first.empty());
  CHECK(second.empty());
  CHECK(third.empty());
  CHECK(f.published.empty());
  CHECK(f.store.load_all().empty());

  // Writes came in after the flush was posted: it waits one more turn for others, then
  // commits all three together.
  CHECK(f.drain() == 2);
  CHECK(f.published == std::vector<Names>{{"db", "web"}});
  CHECK(first == std::vector<bool>{true});
  CHECK(second == std::vector<bool>{true});
  CHECK(third == std::vector<bool>{true});
  CHECK(f.store.load_all().size() == 3);
  CHECK(f.posted.empty());

  // The next call starts a new batch with a new flush.
  std::vector<bool> fourth;
  REQUIRE(f.registry.remove_instance("db", "main").has_value());
  f.commit_then(fourth);
  CHECK(f.posted.size() == 1);
  CHECK(fourth.empty());
  f.run_posted();
  CHECK(fourth == std::vector<bool>{true});
  CHECK(f.published == std::vector<Names>{{"db", "web"}, {"db"}});
  CHECK(f.store.load_all().size() == 2);
}

TEST_CASE("registry writer: the batch is one store transaction") {
  Fixture f;
  // The third write of the batch fails: had the writer committed per call, the first two
  // would be durable.
  beacon::test::exec_sql_beside(f.db_path,
              "CREATE TRIGGER refuse_c BEFORE INSERT ON instances WHEN NEW.id = 'c'"
              " BEGIN SELECT RAISE(ABORT, 'test'); END;");
  std::vector<bool> outcomes;
  for (const char* id : {"a", "b", "c"}) {
    f.put("web", id);
    f.commit_then(outcomes);
  }
  f.drain();
  CHECK(outcomes == std::vector<bool>{false, false, false});
  CHECK(f.store.load_all().empty());
}

TEST_CASE("registry writer: on a store failure every callback gets false and nothing is published") {
  Fixture f;
  f.put("web", "a");
  CHECK(f.writer.commit_now());
  f.published.clear();

  beacon::test::exec_sql_beside(f.db_path, "CREATE TRIGGER refuse BEFORE INSERT ON instances BEGIN SELECT RAISE(ABORT, 'test'); END;");
  std::vector<bool> first, second;
  f.put("web", "b");
  f.commit_then(first);
  f.put("api", "a");
  f.commit_then(second);
  f.drain();
  CHECK(first == std::vector<bool>{false});
  CHECK(second == std::vector<bool>{false});
  CHECK(f.published.empty());
  // The refused writes are undone.
  CHECK(f.registry.instance_count() == 1);
  CHECK(f.registry.find("api") == nullptr);
  CHECK_FALSE(f.registry.find("web")->instances.contains("b"));

  // Once the store accepts writes again, the writer carries on.
  beacon::test::exec_sql_beside(f.db_path, "DROP TRIGGER refuse");
  std::vector<bool> third;
  f.put("web", "c");
  f.commit_then(third);
  f.run_posted();
  CHECK(third == std::vector<bool>{true});
  REQUIRE(f.published.size() == 1);
  CHECK(f.published[0].contains("web"));
  CHECK(f.store.load_all().size() == 2);
}

TEST_CASE("registry writer: a flush with nothing changed publishes nothing and reports durable") {
  Fixture f;
  std::vector<bool> outcomes;
  f.commit_then(outcomes);
  f.run_posted();
  CHECK(outcomes == std::vector<bool>{true});
  CHECK(f.published.empty());
}

TEST_CASE("registry writer: a callback may ask for another commit, which is posted, not run inline") {
  Fixture f;
  std::vector<bool> outer, inner;
  f.put("web", "a");
  f.writer.commit_then([&](bool durable) {
    outer.push_back(durable);
    f.put("web", "b");
    f.commit_then(inner);
  });
  CHECK(f.run_posted() == 1);
  CHECK(outer == std::vector<bool>{true});
  CHECK(inner.empty());
  CHECK(f.posted.size() == 1);
  CHECK(f.run_posted() == 1);
  CHECK(inner == std::vector<bool>{true});
  CHECK(f.published == std::vector<Names>{{"web"}, {"web"}});
  CHECK(f.store.load_all().size() == 2);
}

TEST_CASE("registry writer: commit_now commits and publishes at once") {
  Fixture f;
  f.put("web", "a");
  f.put("db", "main");
  CHECK(f.writer.commit_now());
  CHECK(f.posted.empty());
  CHECK(f.published == std::vector<Names>{{"db", "web"}});
  CHECK(f.store.load_all().size() == 2);

  CHECK(f.writer.commit_now());  // nothing changed: nothing to publish
  CHECK(f.published.size() == 1);

  beacon::test::exec_sql_beside(f.db_path, "CREATE TRIGGER refuse BEFORE DELETE ON instances BEGIN SELECT RAISE(ABORT, 'test'); END;");
  REQUIRE(f.registry.remove_instance("web", "a").has_value());
  CHECK_FALSE(f.writer.commit_now());
  CHECK(f.published.size() == 1);
  CHECK(f.registry.find("web") != nullptr);
  CHECK(f.store.load_all().size() == 2);

  // commit_now while a flush is pending: the flush later finds everything durable.
  beacon::test::exec_sql_beside(f.db_path, "DROP TRIGGER refuse");
  std::vector<bool> outcomes;
  f.put("api", "a");
  f.commit_then(outcomes);
  CHECK(f.writer.commit_now());
  CHECK(f.store.load_all().size() == 3);
  f.run_posted();
  CHECK(outcomes == std::vector<bool>{true});
}

TEST_CASE("registry writer: writes arriving while a flush waits join its batch; the wait is bounded") {
  Fixture f;
  // A lone write is flushed on the first turn: an idle server adds no delay.
  std::vector<bool> lone;
  f.put("web", "a");
  f.commit_then(lone);
  CHECK(f.run_posted() == 1);
  CHECK(lone == std::vector<bool>{true});
  CHECK(f.posted.empty());

  // Writes keep arriving between turns (as requests read from other connections would):
  // each turn that saw new ones waits once more, and every one of them is in one batch,
  // acknowledged only after that batch is durable and published.
  f.published.clear();
  std::vector<bool> outcomes;
  f.put("web", "b");
  f.commit_then(outcomes);
  for (int turn = 0; turn < 3; ++turn) {
    f.put("svc" + std::to_string(turn), "x");
    f.commit_then(outcomes);
    CHECK(f.run_posted() == 1);
    CHECK(outcomes.empty());
    CHECK(f.published.empty());
  }
  CHECK(f.run_posted() == 1);  // a turn with nothing new: flush
  CHECK(outcomes == std::vector<bool>(4, true));
  CHECK(f.published == std::vector<Names>{{"web", "svc0", "svc1", "svc2"}});
  CHECK(f.store.load_all().size() == 5);
  CHECK(f.posted.empty());

  // A steady stream does not hold a batch back for more than max_gather_turns turns.
  std::vector<bool> stream;
  f.put("web", "c");
  f.commit_then(stream);
  unsigned turns = 0;
  while (stream.empty()) {
    f.put("stream", "i" + std::to_string(turns));
    f.commit_then(stream);
    REQUIRE(f.run_posted() == 1);
    ++turns;
  }
  CHECK(turns == Writer::max_gather_turns + 1);
  CHECK(stream.size() == Writer::max_gather_turns + 2);
  CHECK(std::all_of(stream.begin(), stream.end(), [](bool durable) { return durable; }));
  // The write staged during the flushing turn is in that batch too (staged before the commit).
  CHECK(f.store.load_all().size() == 5 + 1 + turns);
}

TEST_CASE("registry writer: a read waits for staged writes to be committed and published") {
  Fixture f;
  bool read = false;
  f.writer.after_pending([&] { read = true; });
  CHECK(read);  // nothing pending: at once

  f.put("web", "a");
  std::vector<bool> outcomes;
  f.commit_then(outcomes);
  read = false;
  std::size_t published_when_read = 99;
  f.writer.after_pending([&] {
    read = true;
    published_when_read = f.published.size();
  });
  CHECK_FALSE(read);
  f.drain();
  CHECK(read);
  CHECK(published_when_read == 1);  // the read saw the write durable and in DNS

  // A write staged without a commit request still gets committed before the read.
  f.put("web", "b");
  read = false;
  f.writer.after_pending([&] { read = true; });
  CHECK_FALSE(read);
  f.drain();
  CHECK(read);
  CHECK(f.published.size() == 2);
}
