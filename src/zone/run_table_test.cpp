#include "zone/run_table.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace beacon::zone {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("RunTable: an equal run is stored once; a remembered part is found; others are appended") {
  std::vector<std::uint8_t> store;
  std::vector<RunSlot> slots;
  RunTable<std::uint8_t> table(store, slots, 4);
  CHECK(table.place(bytes("abcdef")) == 0);
  CHECK(table.place(bytes("xyz")) == 6);
  CHECK(table.place(bytes("abcdef")) == 0);
  CHECK(store.size() == 9);
  // "cde" is inside the first run but was never placed or remembered: appended.
  CHECK(table.place(bytes("cde")) == 9);
  CHECK(table.remember(2, 2));        // "cd" inside the first run
  CHECK(table.place(bytes("cd")) == 2);
  CHECK_FALSE(table.remember(9, 2));  // the "cd" of "cde" is known already, at 2
  CHECK(store.size() == 12);
}

TEST_CASE("RunTable: remember reports runs already known, and growth keeps every run findable") {
  std::vector<std::uint8_t> store;
  std::vector<RunSlot> slots;
  RunTable<std::uint8_t> table(store, slots, 0);
  std::vector<std::uint32_t> offsets;
  for (int i = 0; i < 1000; ++i) offsets.push_back(table.place(bytes("run-" + std::to_string(i))));
  CHECK(slots.size() >= 2000);  // grew from 64, at most half full
  for (int i = 0; i < 1000; ++i) CHECK(table.place(bytes("run-" + std::to_string(i))) == offsets[i]);
  const std::size_t size = store.size();
  CHECK_FALSE(table.remember(offsets[7], 5));  // "run-7" is known
  CHECK(table.remember(offsets[7] + 1, 3));    // "un-" is new
  CHECK(table.place(bytes("un-")) == offsets[7] + 1);
  CHECK(store.size() == size);
}

TEST_CASE("RunTable: the slots are reused by the next table without stale entries") {
  std::vector<std::uint8_t> first, second;
  std::vector<RunSlot> slots;
  {
    RunTable<std::uint8_t> table(first, slots, 0);
    table.place(bytes("stale"));
  }
  RunTable<std::uint8_t> table(second, slots, 0);
  CHECK(table.place(bytes("fresh")) == 0);
  CHECK(table.place(bytes("stale")) == 5);  // not found at the old table's offset
  CHECK(second.size() == 10);
}

}  // namespace beacon::zone
