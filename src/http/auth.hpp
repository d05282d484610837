#pragma once
// Bearer-token authorization of the registration API (http.tokens). With no token
// configured the API is open; with any, every call but /healthz needs one. Tokens are
// compared in constant time and never logged.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::http {

/// What a token may do; each scope includes the ones before it.
enum class Scope { read, write, admin };

struct TokenGrant {
  std::string token;
  Scope scope = Scope::read;
  std::vector<std::string> services;  // service-name prefixes; empty: every service

  /// Whether the grant covers `service` (always true without prefixes).
  bool covers(std::string_view service) const;
};

/// The outcome of checking a request's credentials.
struct AuthResult {
  enum class Kind { allowed, unauthenticated, forbidden };
  Kind kind = Kind::allowed;
  std::string reason;  // for the error body; never contains the token
};

class Authorizer {
 public:
  explicit Authorizer(std::vector<TokenGrant> grants = {}) { replace(std::move(grants)); }

  /// Installs a new set of tokens (start-up and SIGHUP); the old ones stop working at once.
  void replace(std::vector<TokenGrant> grants);
  bool is_enabled() const { return !grants_.empty(); }

  /// The grant whose token `authorization` ("Bearer TOKEN") carries, or nullptr.
  const TokenGrant* authenticate(std::string_view authorization) const;

  /// Whether the request may act with `needed` on `service` (empty: no particular service).
  AuthResult check(std::string_view authorization, Scope needed, std::string_view service = {}) const;

 private:
  // A token padded to a fixed size with its length at the end, so that comparing two takes
  // the same time whatever they hold.
  static constexpr std::size_t max_token = 256;
  using Padded = std::array<unsigned char, max_token + 1>;
  static std::optional<Padded> pad(std::string_view token);

  struct Entry {
    Padded padded;
    TokenGrant grant;
  };
  std::vector<Entry> grants_;
};

const char* scope_name(Scope scope);

}  // namespace beacon::http
