#include "zone/fragment_map.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>

#include "zone/zone_builder.hpp"

namespace beacon::zone {
namespace {

std::string label_key(unsigned n) {
  const std::string label = "web-" + std::to_string(n);
  return std::string(1, static_cast<char>(label.size())) + label;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("FragmentMap: random puts and removals match a std::map; older versions stay intact") {
  // Distinct fragment objects to tell values apart; their content does not matter here.
  std::vector<std::shared_ptr<const Zone>> zones;
  for (int i = 0; i < 8; ++i) zones.push_back(std::make_shared<const Zone>());
  std::mt19937 random(42);  // 32-bit results
  std::map<std::string, const Zone*> reference;
  FragmentMap map;
  for (int round = 0; round < 200; ++round) {
    std::vector<FragmentMap::Update> updates;
    for (int i = 0; i < 50; ++i) {
      const std::string key = label_key(static_cast<unsigned>(random() % 4000));
      const bool remove = random() % 4 == 0;
      const auto& zone = zones[random() % zones.size()];
      updates.push_back({key, remove ? nullptr : zone});
    }
    const FragmentMap before = map;
    const auto reference_before = reference;
    for (const auto& u : updates) {
      if (u.fragment) reference[u.key] = u.fragment.get();
      else reference.erase(u.key);
    }
    map = map.with(updates);
    CHECK(map.size() == reference.size());
    for (unsigned n = 0; n < 4000; n += 37) {
      const std::string key = label_key(n);
      const auto it = reference.find(key);
      CHECK(map.find(bytes(key)) == (it == reference.end() ? nullptr : it->second));
      const auto old = reference_before.find(key);
      CHECK(before.find(bytes(key)) == (old == reference_before.end() ? nullptr : old->second));
    }
  }
  CHECK(map.find(bytes(std::string("\4_web\4_tcp"))) == nullptr);
}

}  // namespace beacon::zone
