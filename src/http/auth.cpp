#include "http/auth.hpp"

#include <algorithm>
#include <cctype>

namespace beacon::http {
namespace {

/// Equal in time independent of where the arrays differ.
template <std::size_t N>
bool equal_in_constant_time(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b) {
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference = static_cast<unsigned char>(difference | (a[i] ^ b[i]));
  return difference == 0;
}

/// The token of "Bearer TOKEN" (scheme case-insensitive, RFC 6750 §2.1), or empty.
std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return {};
  }
  authorization.remove_prefix(scheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  return authorization;
}

}  // namespace

bool TokenGrant::covers(std::string_view service) const {
  if (services.empty()) return true;
  for (const auto& prefix : services) {
    if (service.starts_with(prefix)) return true;
  }
  return false;
}

std::optional<Authorizer::Padded> Authorizer::pad(std::string_view token) {
  if (token.empty() || token.size() > max_token) return std::nullopt;
  Padded padded{};
  std::copy(token.begin(), token.end(), padded.begin());
  padded[max_token] = static_cast<unsigned char>(token.size() - 1);  // 1..256 fits a byte
  return padded;
}

void Authorizer::replace(std::vector<TokenGrant> grants) {
  grants_.clear();
  for (auto& grant : grants) {
    auto padded = pad(grant.token);
    if (padded) grants_.push_back({*padded, std::move(grant)});
  }
}

const TokenGrant* Authorizer::authenticate(std::string_view authorization) const {
  const auto presented = pad(bearer_token(authorization));
  if (!presented) return nullptr;
  // Every entry is compared, so the time says nothing about which one (if any) matched.
  const TokenGrant* match = nullptr;
  for (const Entry& entry : grants_) {
    if (equal_in_constant_time(entry.padded, *presented) && match == nullptr) match = &entry.grant;
  }
  return match;
}

AuthResult Authorizer::check(std::string_view authorization, Scope needed, std::string_view service) const {
  if (!is_enabled()) return {};
  const TokenGrant* grant = authenticate(authorization);
  if (grant == nullptr) {
    const bool presented = !authorization.empty();
    return {AuthResult::Kind::unauthenticated,
            presented ? "the bearer token is not valid" : "this call needs Authorization: Bearer <token>"};
  }
  if (grant->scope < needed)
    return {AuthResult::Kind::forbidden, std::string("this call needs a token of scope ") + scope_name(needed)};
  if (!service.empty() && !grant->covers(service))
    return {AuthResult::Kind::forbidden, "the token does not cover the service " + std::string(service)};
  return {};
}

const char* scope_name(Scope scope) {
  switch (scope) {
    case Scope::read: return "read";
    case Scope::write: return "write";
    case Scope::admin: return "admin";
  }
  return "read";
}

}  // namespace beacon::http
