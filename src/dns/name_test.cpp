#include "dns/name.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace beacon::dns {
namespace {

using test::Bytes;
using test::wire_name;

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes header_padding() { return Bytes(limits::header_size, 0); }

std::string text_of(const WireName& n) { return name_to_text(n.wire()); }

}  // namespace

TEST_CASE("read_name: a plain name is copied and pos moves past it") {
  const Bytes msg = concat({header_padding(), wire_name("www.Example.com."), {0xAB}});
  std::size_t pos = limits::header_size;
  WireName n;
  REQUIRE(read_name(msg, pos, n) == NameError::none);
  CHECK(pos == msg.size() - 1);
  CHECK(text_of(n) == "www.Example.com.");
  CHECK(n.length == 17);
  CHECK(n.label_count == 3);
  CHECK(n.label_offsets[0] == 0);
  CHECK(n.label_offsets[1] == 4);
  CHECK(n.label_offsets[2] == 12);
  CHECK(name_to_text(n.suffix(1)) == "Example.com.");
  CHECK(name_to_text(n.suffix(3)) == ".");
}

TEST_CASE("read_name: the root name") {
  const Bytes msg = {0};
  std::size_t pos = 0;
  WireName n;
  REQUIRE(read_name(msg, pos, n) == NameError::none);
  CHECK(pos == 1);
  CHECK(n.length == 1);
  CHECK(n.label_count == 0);
}

TEST_CASE("read_name: compression pointers are followed and pos ends after the first pointer") {
  // offset 12: example.com. ; then www + pointer to 12 ; then a pointer to the www name.
  Bytes msg = concat({header_padding(), wire_name("example.com.")});
  const std::size_t www_at = msg.size();
  msg.insert(msg.end(), {3, 'w', 'w', 'w', 0xC0, 12});
  const std::size_t ptr_at = msg.size();
  msg.insert(msg.end(), {0xC0, static_cast<std::uint8_t>(www_at), 0x77});

  std::size_t pos = www_at;
  WireName n;
  REQUIRE(read_name(msg, pos, n) == NameError::none);
  CHECK(text_of(n) == "www.example.com.");
  CHECK(pos == www_at + 6);

  pos = ptr_at;
  REQUIRE(read_name(msg, pos, n) == NameError::none);
  CHECK(text_of(n) == "www.example.com.");
  CHECK(n.label_count == 3);
  CHECK(pos == ptr_at + 2);
}

TEST_CASE("read_name: a pointer to itself or forward is bad_pointer, so loops are impossible") {
  WireName n;
  SUBCASE("self") {
    Bytes msg = concat({header_padding(), {0xC0, 12}});
    std::size_t pos = 12;
    CHECK(read_name(msg, pos, n) == NameError::bad_pointer);
  }
  SUBCASE("forward") {
    Bytes msg = concat({header_padding(), {0xC0, 14, 0}});
    std::size_t pos = 12;
    CHECK(read_name(msg, pos, n) == NameError::bad_pointer);
  }
  SUBCASE("two pointers pointing at each other") {
    // 12: label "a" then pointer to 16; 16: pointer to 12.
    Bytes msg = concat({header_padding(), {1, 'a', 0xC0, 16, 0xC0, 12}});
    std::size_t pos = 16;
    CHECK(read_name(msg, pos, n) == NameError::bad_pointer);
  }
  SUBCASE("a pointer to a label that loops back to the pointer") {
    Bytes msg = concat({header_padding(), {1, 'a', 0xC0, 12}});
    std::size_t pos = 12;
    CHECK(read_name(msg, pos, n) == NameError::bad_pointer);
  }
}

TEST_CASE("read_name: label types 0x40 and 0x80 are bad_label") {
  WireName n;
  for (const std::uint8_t type : {std::uint8_t{0x40}, std::uint8_t{0x41}, std::uint8_t{0x80}, std::uint8_t{0xBF}}) {
    CAPTURE(type);
    Bytes msg = {type, 'a', 0};
    std::size_t pos = 0;
    CHECK(read_name(msg, pos, n) == NameError::bad_label);
  }
}

TEST_CASE("read_name: over 255 octets is too_long, exactly 255 is fine") {
  WireName n;
  // Four labels of 63 octets = 256 octets with the root: too long.
  Bytes longest;
  for (int i = 0; i < 4; ++i) {
    longest.push_back(63);
    longest.insert(longest.end(), 63, 'x');
  }
  longest.push_back(0);
  std::size_t pos = 0;
  CHECK(read_name(longest, pos, n) == NameError::too_long);

  // 3 * 64 + 62 + 1 = 255 octets.
  Bytes max;
  for (int i = 0; i < 3; ++i) {
    max.push_back(63);
    max.insert(max.end(), 63, 'x');
  }
  max.push_back(61);
  max.insert(max.end(), 61, 'y');
  max.push_back(0);
  REQUIRE(max.size() == 255);
  pos = 0;
  REQUIRE(read_name(max, pos, n) == NameError::none);
  CHECK(n.length == 255);
  CHECK(n.label_count == 4);

  // 127 one-letter labels + root = 255 octets; 128 labels = 257.
  Bytes many;
  for (int i = 0; i < 127; ++i) many.insert(many.end(), {1, 'a'});
  many.push_back(0);
  pos = 0;
  REQUIRE(read_name(many, pos, n) == NameError::none);
  CHECK(n.label_count == 127);
  many.insert(many.begin(), {1, 'b'});
  pos = 0;
  CHECK(read_name(many, pos, n) == NameError::too_long);

  // Too long only through compression.
  Bytes compressed = concat({header_padding(), Bytes(longest.begin() + 64, longest.end())});
  compressed.push_back(63);
  compressed.insert(compressed.end(), 63, 'z');
  compressed.insert(compressed.end(), {0xC0, 12});
  pos = 12 + 193;
  CHECK(read_name(compressed, pos, n) == NameError::too_long);
}

TEST_CASE("read_name: a message ending inside the name is truncated") {
  WireName n;
  const Bytes full = wire_name("www.example.com.");
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    CAPTURE(cut);
    const Bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    std::size_t pos = 0;
    CHECK(read_name(part, pos, n) == NameError::truncated);
  }
  Bytes half_pointer = concat({header_padding(), {0xC0}});
  std::size_t pos = 12;
  CHECK(read_name(half_pointer, pos, n) == NameError::truncated);
}

TEST_CASE("to_lower: ASCII letters only, length octets untouched") {
  const Bytes in = wire_name("WwW.ExA\\200mple.COM.");
  Bytes out(in.size());
  to_lower(in, out.data());
  CHECK(out == wire_name("www.exa\\200mple.com."));
  // Length octets are below 64 and never look like letters; a 63-octet label stays 63.
  const Bytes long_label = wire_name(std::string(63, 'Q') + ".");
  Bytes long_out(long_label.size());
  to_lower(long_label, long_out.data());
  CHECK(long_out[0] == 63);
  CHECK(long_out[1] == 'q');
}

TEST_CASE("equal_names: case-insensitive, length-sensitive") {
  CHECK(equal_names(wire_name("WWW.example.COM."), wire_name("www.EXAMPLE.com.")));
  CHECK_FALSE(equal_names(wire_name("www.example.com."), wire_name("ww.example.com.")));
  CHECK_FALSE(equal_names(wire_name("www.example.com."), wire_name("www.example.net.")));
  CHECK(equal_names(wire_name("."), wire_name(".")));
  // Only ASCII letters fold: 0xC0 and 0xE0 differ.
  CHECK_FALSE(equal_names(wire_name("\\192."), wire_name("\\224.")));
}

TEST_CASE("is_subdomain: compares at label boundaries") {
  CHECK(is_subdomain(wire_name("example.com."), wire_name("example.com.")));
  CHECK(is_subdomain(wire_name("www.Example.com."), wire_name("example.COM.")));
  CHECK(is_subdomain(wire_name("a.b.c.example.com."), wire_name("example.com.")));
  CHECK(is_subdomain(wire_name("example.com."), wire_name(".")));
  CHECK_FALSE(is_subdomain(wire_name("example.com."), wire_name("xample.com.")));
  CHECK_FALSE(is_subdomain(wire_name("wwwexample.com."), wire_name("example.com.")));
  CHECK_FALSE(is_subdomain(wire_name("com."), wire_name("example.com.")));
  CHECK_FALSE(is_subdomain(wire_name("example.net."), wire_name("example.com.")));
  // A label whose content looks like the ancestor's wire form.
  CHECK_FALSE(is_subdomain(wire_name("a\\007example\\003com."), wire_name("example.com.")));
}

TEST_CASE("name_from_text and name_to_text round-trip, with escapes") {
  CHECK(name_from_text("www.example.com.") == std::string("\3www\7example\3com\0", 17));
  CHECK(name_from_text("www.example.com") == name_from_text("www.example.com."));
  CHECK(name_from_text(".") == std::string(1, '\0'));
  CHECK(name_from_text("") == std::string(1, '\0'));
  CHECK(name_from_text("a\\.b.c.") == std::string("\3a.b\1c\0", 7));
  CHECK(name_from_text("a\\032b.") == std::string("\3a b\0", 5));
  CHECK(name_from_text("\\065.") == std::string("\1A\0", 3));
  CHECK(name_from_text("a\\\\b.") == std::string("\3a\\b\0", 5));

  CHECK_FALSE(name_from_text("a..b.").has_value());
  CHECK_FALSE(name_from_text(".a.").has_value());
  CHECK_FALSE(name_from_text("a\\").has_value());
  CHECK_FALSE(name_from_text("\\256.").has_value());
  CHECK_FALSE(name_from_text(std::string(64, 'x') + ".").has_value());
  CHECK(name_from_text(std::string(63, 'x') + ".").has_value());
  std::string too_long;
  for (int i = 0; i < 4; ++i) too_long += std::string(63, 'x') + ".";
  CHECK_FALSE(name_from_text(too_long).has_value());

  for (const char* text : {"www.example.com.", "a\\.b.c.", "a\\032b\\009.", "\\000\\255.x.", "x\\\\y\\\"z.",
                           "\\(\\)\\;\\@\\$.", "MiXeD.CaSe.", "."}) {
    CAPTURE(text);
    const auto wire = name_from_text(text);
    REQUIRE(wire.has_value());
    CHECK(name_to_text(test::as_span(*wire)) == text);
  }
  // Every octet value survives wire -> text -> wire: two names of labels 63 + 63 + 2 octets.
  for (int start = 0; start < 256; start += 128) {
    std::string all;
    for (const int length : {63, 63, 2}) {
      all += static_cast<char>(length);
      const int first = start + (length == 2 ? 126 : (all.size() == 1 ? 0 : 63));
      for (int k = 0; k < length; ++k) all += static_cast<char>(first + k);
    }
    all += '\0';
    CAPTURE(start);
    const auto back = name_from_text(name_to_text(test::as_span(all)));
    REQUIRE(back.has_value());
    CHECK(*back == all);
  }
}

TEST_CASE("wire_length counts octets up to and including the root") {
  CHECK(wire_length(wire_name(".")) == 1);
  CHECK(wire_length(wire_name("www.example.com.")) == 17);
  Bytes with_tail = wire_name("a.b.");
  with_tail.insert(with_tail.end(), {1, 2, 3});
  CHECK(wire_length(with_tail) == 5);
}

TEST_CASE("count_labels excludes the root") {
  CHECK(count_labels(wire_name(".")) == 0);
  CHECK(count_labels(wire_name("com.")) == 1);
  CHECK(count_labels(wire_name("www.example.com.")) == 3);
  CHECK(count_labels(wire_name("a\\.b.c.")) == 2);
}

TEST_CASE("hash_lower_name: equal names hash equal, different names differ") {
  CHECK(hash_lower_name(wire_name("www.example.com.")) == hash_lower_name(wire_name("www.example.com.")));
  CHECK(hash_lower_name(wire_name("www.example.com.")) != hash_lower_name(wire_name("ww.example.com.")));
}

}  // namespace beacon::dns
