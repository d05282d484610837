#include <doctest/doctest.h>

#include <string>

#include "registry/heap_optional.hpp"

using beacon::registry::HeapOptional;

TEST_CASE("HeapOptional: value semantics like std::optional, one pointer wide") {
  static_assert(sizeof(HeapOptional<std::string>) == sizeof(void*));
  HeapOptional<std::string> a;
  CHECK_FALSE(a);
  a = std::string("check");
  REQUIRE(a.has_value());
  HeapOptional<std::string> b = a;  // a deep copy
  *b += "ed";
  CHECK(*a == "check");
  CHECK(*b == "checked");
  CHECK_FALSE(a == b);
  b = a;
  CHECK(a == b);
  CHECK(a->size() == 5);
  b = std::nullopt;
  CHECK_FALSE(b);
  CHECK_FALSE(a == b);
  CHECK(HeapOptional<std::string>() == HeapOptional<std::string>(std::nullopt));
  HeapOptional<std::string> moved = std::move(a);
  CHECK(*moved == "check");
}
