// Any bytes as a registration body: a valid Registration that survives a JSON round trip,
// or a Refusal naming a field. Never an exception.
#include <boost/json.hpp>
#include <cstdlib>

#include "registry/registration_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse({reinterpret_cast<const char*>(data), size}, ec);
  if (ec) return 0;
  auto parsed = beacon::registry::parse_registration(body);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  auto again = beacon::registry::parse_registration(beacon::registry::to_json(*parsed));
  if (!again || !(*again == *parsed)) std::abort();  // what is stored reads back the same
  return 0;
}
