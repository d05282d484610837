#include "zone/fragment_map.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "dns/name.hpp"

namespace beacon::zone {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

const Zone* FragmentMap::find(std::span<const std::uint8_t> key) const {
  const std::uint64_t hash = dns::hash_lower_name(key);
  const Bucket* bucket = buckets_[hash % bucket_count].get();
  if (bucket == nullptr) return nullptr;
  auto it = std::lower_bound(bucket->begin(), bucket->end(), hash,
                             [](const Entry& e, std::uint64_t h) { return e.hash < h; });
  for (; it != bucket->end() && it->hash == hash; ++it) {
    if (it->key.size() == key.size() && std::memcmp(it->key.data(), key.data(), key.size()) == 0)
      return it->fragment.get();
  }
  return nullptr;
}

FragmentMap FragmentMap::with(const std::vector<Update>& updates) const {
  FragmentMap next = *this;
  std::map<std::size_t, Bucket> touched;
  for (const Update& u : updates) {
    const std::string& wire = u.key;
    const std::uint64_t hash = dns::hash_lower_name(bytes(wire));
    const std::size_t index = hash % bucket_count;
    auto [slot, fresh] = touched.try_emplace(index);
    if (fresh && buckets_[index]) slot->second = *buckets_[index];
    Bucket& bucket = slot->second;
    auto it = std::find_if(bucket.begin(), bucket.end(), [&](const Entry& e) { return e.key == wire; });
    if (it != bucket.end()) {
      if (u.fragment) it->fragment = u.fragment;
      else {
        bucket.erase(it);
        --next.size_;
      }
    } else if (u.fragment) {
      bucket.push_back({hash, wire, u.fragment});
      ++next.size_;
    }
  }
  for (auto& [index, bucket] : touched) {
    std::sort(bucket.begin(), bucket.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
    next.buckets_[index] = bucket.empty() ? nullptr : std::make_shared<const Bucket>(std::move(bucket));
  }
  return next;
}

}  // namespace beacon::zone
