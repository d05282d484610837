#pragma once
// Admission of DNS-over-TCP connections: a limit across all threads and one per client
// address, so one client cannot take every slot. Consulted on accept and on close only,
// never per query; the mutex is shared by the DNS threads' acceptors.

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace beacon::server {

class ConnectionLimits {
 public:
  ConnectionLimits(unsigned total, unsigned per_client) : total_limit_(total), per_client_limit_(per_client) {}

  /// Counts a new connection from `client`; false (and nothing counted) if over a limit.
  bool try_acquire(const boost::asio::ip::address& client);
  void release(const boost::asio::ip::address& client);
  unsigned open_connections() const;

 private:
  struct AddressHash {
    std::size_t operator()(const boost::asio::ip::address& a) const;
  };
  mutable std::mutex mutex_;
  unsigned total_limit_;
  unsigned per_client_limit_;
  unsigned total_ = 0;
  std::unordered_map<boost::asio::ip::address, unsigned, AddressHash> per_client_;
};

}  // namespace beacon::server
