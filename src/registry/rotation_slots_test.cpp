#include "registry/rotation_slots.hpp"

#include <doctest/doctest.h>

namespace beacon::registry {

TEST_CASE("RotationSlots: a service keeps its block while it fits, and blocks do not overlap") {
  RotationSlots slots;
  const std::uint32_t web = slots.acquire("web", 3);
  const std::uint32_t api = slots.acquire("api", 2);
  CHECK(web + 4 <= api);  // blocks are at least 4 wide
  CHECK(slots.acquire("web", 4) == web);
  CHECK(slots.acquire("web", 1) == web);
  CHECK(slots.acquire("web", 0) == web);  // nothing servable now: the block stays
  CHECK(slots.size() == 8);

  // Outgrowing the block moves the service; its old block goes to the next one of that size.
  const std::uint32_t grown = slots.acquire("web", 5);
  CHECK(grown != web);
  CHECK(slots.size() == 16);
  CHECK(slots.acquire("db", 2) == web);
  CHECK(slots.size() == 16);
}

TEST_CASE("RotationSlots: released blocks are reused; a zero count takes nothing") {
  RotationSlots slots;
  CHECK(slots.acquire("empty", 0) == 0);
  CHECK(slots.size() == 0);
  const std::uint32_t a = slots.acquire("a", 2);
  slots.release("a");
  slots.release("never-held");
  CHECK(slots.acquire("b", 3) == a);
  CHECK(slots.size() == 4);
}

}  // namespace beacon::registry
