#pragma once
// Why the registry refused a request, in terms the API turns into a status code and a
// `{"error": ..., "field": ...}` body.

#include <string>

namespace beacon::registry {

struct Refusal {
  enum class Kind { invalid, not_found, conflict, unavailable };
  Kind kind = Kind::invalid;
  std::string field;    // the offending field ("port", "meta.version", "id"), or empty
  std::string message;  // for a human, without internal detail
};

inline Refusal invalid(std::string field, std::string message) {
  return {Refusal::Kind::invalid, std::move(field), std::move(message)};
}

}  // namespace beacon::registry
