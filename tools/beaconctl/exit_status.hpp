#pragma once
// beaconctl's exit statuses (documented in --help and beaconctl(1)) and the exception that
// ends a command with one of them.

#include <stdexcept>
#include <string>

namespace beacon::ctl {

namespace exit_status {
constexpr int ok = 0;
/// The API refused the request (4xx, 5xx) or DNS said no (NXDOMAIN, NODATA, REFUSED, SERVFAIL).
constexpr int refused = 1;
/// A bad command line: unknown command or flag, missing or malformed argument.
constexpr int usage = 2;
/// The API or the DNS server could not be reached or did not answer in time; also `wait`
/// reaching its --timeout.
constexpr int unreachable = 3;
}  // namespace exit_status

/// Ends the command: main prints "beaconctl: <what()>" on stderr and exits with status().
class Failure : public std::runtime_error {
 public:
  Failure(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/// A usage error (exit 2).
inline Failure usage_error(const std::string& message) { return Failure(exit_status::usage, message); }

}  // namespace beacon::ctl
