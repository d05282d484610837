#include "server/connection_limits.hpp"

#include <functional>

namespace beacon::server {

std::size_t ConnectionLimits::AddressHash::operator()(const boost::asio::ip::address& a) const {
  if (a.is_v4()) return std::hash<unsigned>{}(a.to_v4().to_uint());
  const auto bytes = a.to_v6().to_bytes();
  std::size_t h = 0;
  for (const auto b : bytes) h = h * 131 + b;
  return h;
}

bool ConnectionLimits::try_acquire(const boost::asio::ip::address& client) {
  std::lock_guard lock(mutex_);
  if (total_ >= total_limit_) return false;
  unsigned& mine = per_client_[client];
  if (mine >= per_client_limit_) return false;
  ++mine;
  ++total_;
  return true;
}

void ConnectionLimits::release(const boost::asio::ip::address& client) {
  std::lock_guard lock(mutex_);
  --total_;
  const auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

unsigned ConnectionLimits::open_connections() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace beacon::server
