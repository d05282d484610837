#include "zone/fragment_map.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

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
  const Bottom* bottom = (*middle)[middle_index(hash)].get();
  if (bottom == nullptr) return nullptr;
  const Bucket* bucket = (*bottom)[bottom_index(hash)].get();
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
  // Copy-on-write working copies of the touched arrays and buckets, by their indices.
  using Path2 = std::pair<std::size_t, std::size_t>;
  using Path3 = std::tuple<std::size_t, std::size_t, std::size_t>;
  std::map<std::size_t, Middle> middles;
  std::map<Path2, Bottom> bottoms;
  std::map<Path3, Bucket> buckets;
  for (const Update& u : updates) {
    const std::uint64_t hash = dns::hash_lower_name(bytes(u.key));
    const std::size_t t = top_index(hash);
    const std::size_t m = middle_index(hash);
    const std::size_t b = bottom_index(hash);
    auto [middle, new_middle] = middles.try_emplace(t);
    if (new_middle && top_[t]) middle->second = *top_[t];
    auto [bottom, new_bottom] = bottoms.try_emplace({t, m});
    if (new_bottom && middle->second[m]) bottom->second = *middle->second[m];
    auto [slot, new_bucket] = buckets.try_emplace({t, m, b});
    if (new_bucket && bottom->second[b]) slot->second = *bottom->second[b];
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
  for (auto& [path, bucket] : buckets) {
    std::sort(bucket.begin(), bucket.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
    const auto [t, m, b] = path;
    bottoms[{t, m}][b] = bucket.empty() ? nullptr : std::make_shared<const Bucket>(std::move(bucket));
  }
  for (auto& [path, bottom] : bottoms) middles[path.first][path.second] = std::make_shared<const Bottom>(std::move(bottom));
  for (auto& [t, middle] : middles) next.top_[t] = std::make_shared<const Middle>(std::move(middle));
  return next;
}

}  // namespace beacon::zone
