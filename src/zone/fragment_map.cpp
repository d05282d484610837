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
  const Middle* middle = top_[top_index(hash)].get();
  if (middle == nullptr) return nullptr;
  const Bucket* bucket = (*middle)[middle_index(hash)].get();
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
  // Copy-on-write working copies of the touched middles and buckets.
  std::map<std::size_t, Middle> middles;
  std::map<std::pair<std::size_t, std::size_t>, Bucket> buckets;
  for (const Update& u : updates) {
    const std::uint64_t hash = dns::hash_lower_name(bytes(u.key));
    const std::size_t t = top_index(hash);
    const std::size_t m = middle_index(hash);
    auto [middle, new_middle] = middles.try_emplace(t);
    if (new_middle && top_[t]) middle->second = *top_[t];
    auto [slot, new_bucket] = buckets.try_emplace({t, m});
    if (new_bucket && middle->second[m]) slot->second = *middle->second[m];
    Bucket& bucket = slot->second;
    auto it = std::find_if(bucket.begin(), bucket.end(), [&](const Entry& e) { return e.key == u.key; });
    if (it != bucket.end()) {
      if (u.fragment) {
        it->fragment = u.fragment;
      } else {
        bucket.erase(it);
        --next.size_;
      }
    } else if (u.fragment) {
      bucket.push_back({hash, u.key, u.fragment});
      ++next.size_;
    }
  }
  for (auto& [index, bucket] : buckets) {
    std::sort(bucket.begin(), bucket.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
    middles[index.first][index.second] = bucket.empty() ? nullptr : std::make_shared<const Bucket>(std::move(bucket));
  }
  for (auto& [t, middle] : middles) next.top_[t] = std::make_shared<const Middle>(std::move(middle));
  return next;
}

}  // namespace beacon::zone
