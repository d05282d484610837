#include "server/rate_limiter.hpp"

#include <bit>

#include "dns/constants.hpp"
#include "dns/message.hpp"

namespace beacon::server {
namespace {

// A bucket is one 64-bit word: | key tag (24) | second (24) | responses counted (16) |.
constexpr std::uint64_t count_mask = 0xFFFF;
constexpr std::uint64_t second_mask = 0xFFFFFF;

std::uint64_t pack(std::uint64_t tag, std::uint32_t second, std::uint64_t count) {
  return tag << 40 | (second & second_mask) << 16 | count;
}

/// What a response says about the query, as RRL classifies it: answers and NODATA are counted
/// per query name; NXDOMAIN and errors per client only, so random names do not escape.
enum class Kind : std::uint8_t { answer, nodata, nxdomain, error };

Kind kind_of(std::span<const std::uint8_t> response) {
  const auto rcode = static_cast<std::uint16_t>(dns::read_u16(response.data() + dns::header::flags) & 0xF);
  if (rcode == dns::rcode::NXDOMAIN) return Kind::nxdomain;
  if (rcode != dns::rcode::NOERROR) return Kind::error;
  return dns::read_u16(response.data() + dns::header::ancount) > 0 ? Kind::answer : Kind::nodata;
}

/// Length of the uncompressed name at `at` (the question's), or 0 if it runs off the end.
std::size_t name_length(std::span<const std::uint8_t> message, std::size_t at) {
  std::size_t pos = at;
  while (pos < message.size()) {
    const std::uint8_t label = message[pos];
    if (label == 0) return pos + 1 - at;
    if (label > 63) return 0;
    pos += 1 + label;
  }
  return 0;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v;
  h *= 0x100000001b3ULL;  // FNV-1a prime
  return h;
}

}  // namespace

RateLimiter::RateLimiter(RateLimitOptions options)
    : options_(std::move(options)),
      mask_(std::bit_ceil(options_.table_size < 2 ? std::size_t{2} : options_.table_size) - 1),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(mask_ + 1)) {}

bool RateLimiter::exempt(const sockaddr_storage& client) const {
  for (const Cidr& prefix : options_.exempt)
    if (prefix.contains(client)) return true;
  return false;
}

std::uint64_t RateLimiter::key(const sockaddr_storage& client, std::span<const std::uint8_t> response) const {
  const PeerAddress peer = PeerAddress::of(client);
  const unsigned bits = peer.family == AF_INET ? options_.ipv4_prefix : options_.ipv6_prefix;
  std::uint64_t h = mix(0xcbf29ce484222325ULL, peer.family);
  for (unsigned i = 0; i * 8 < bits; ++i) {
    const unsigned keep = bits - i * 8 >= 8 ? 8 : bits - i * 8;
    h = mix(h, static_cast<std::uint8_t>(peer.bytes[i] & (0xFF << (8 - keep))));
  }
  const Kind kind = kind_of(response);
  h = mix(h, static_cast<std::uint64_t>(kind) + 1);
  if (kind == Kind::answer || kind == Kind::nodata) {
    const std::size_t length = name_length(response, 12);
    for (std::size_t i = 0; i < length; ++i) {
      std::uint8_t c = response[12 + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<std::uint8_t>(c | 0x20);
      h = mix(h, c);
    }
    if (length > 0 && 12 + length + 2 <= response.size()) h = mix(h, dns::read_u16(response.data() + 12 + length));
  }
  return h ^ (h >> 29);
}

RateLimiter::Verdict RateLimiter::check(const sockaddr_storage& client, std::span<const std::uint8_t> response,
                                        std::uint32_t now) {
  if (!enabled() || response.size() < 12 || exempt(client)) return Verdict::send;
  const std::uint64_t k = key(client, response);
  const std::uint64_t tag = k >> 40;
  std::atomic<std::uint64_t>& bucket = buckets_[k & mask_];
  std::uint64_t seen = bucket.load(std::memory_order_relaxed);
  std::uint64_t count = 0;
  for (;;) {
    const bool same = (seen >> 40) == tag && ((seen >> 16) & second_mask) == (now & second_mask);
    count = same ? (seen & count_mask) + 1 : 1;
    if (count > count_mask) return Verdict::drop;  // saturated: far beyond any rate
    if (bucket.compare_exchange_weak(seen, pack(tag, now, count), std::memory_order_relaxed)) break;
  }
  if (count <= options_.rate) return Verdict::send;
  const std::uint64_t over = count - options_.rate;
  return options_.slip != 0 && over % options_.slip == 0 ? Verdict::slip : Verdict::drop;
}

std::size_t RateLimiter::truncate_to_question(std::span<std::uint8_t> response) {
  if (response.size() < 12 || dns::read_u16(response.data() + dns::header::qdcount) != 1) return 0;
  const std::size_t name = name_length(response, 12);
  if (name == 0 || 12 + name + 4 > response.size()) return 0;
  const auto flags = dns::read_u16(response.data() + dns::header::flags);
  dns::write_u16(response.data() + dns::header::flags, static_cast<std::uint16_t>(flags | dns::flag::TC));
  dns::write_u16(response.data() + dns::header::ancount, 0);
  dns::write_u16(response.data() + dns::header::nscount, 0);
  dns::write_u16(response.data() + dns::header::arcount, 0);
  return 12 + name + 4;
}

}  // namespace beacon::server
