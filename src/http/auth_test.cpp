#include <doctest/doctest.h>

#include "http/auth.hpp"

using beacon::http::AuthResult;
using beacon::http::Authorizer;
using beacon::http::Scope;
using beacon::http::TokenGrant;

namespace {

const std::string reader = "read-token-0123456789";
const std::string writer = "write-token-0123456789";
const std::string web_writer = "web-write-token-0123456789";
const std::string admin = "admin-token-0123456789";

Authorizer fixture() {
  return Authorizer({{reader, Scope::read, {}},
                     {writer, Scope::write, {}},
                     {web_writer, Scope::write, {"web", "api-"}},
                     {admin, Scope::admin, {}}});
}

AuthResult::Kind kind(const Authorizer& a, const std::string& header, Scope scope, const std::string& service = "") {
  return a.check(header, scope, service).kind;
}

}  // namespace

TEST_CASE("without tokens everything is allowed") {
  const Authorizer open;
  CHECK_FALSE(open.is_enabled());
  CHECK(kind(open, "", Scope::admin, "web") == AuthResult::Kind::allowed);
}

TEST_CASE("a missing or unknown token is unauthenticated") {
  const Authorizer a = fixture();
  CHECK(kind(a, "", Scope::read) == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Bearer nope-nope-nope-nope", Scope::read) == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Basic " + reader, Scope::read) == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Bearer " + reader + "x", Scope::read) == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Bearer " + reader.substr(1), Scope::read) == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Bearer " + std::string(300, 'a'), Scope::read) == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Bearer ", Scope::read) == AuthResult::Kind::unauthenticated);
}

TEST_CASE("the scheme is case-insensitive and spaces around the token do not matter") {
  const Authorizer a = fixture();
  CHECK(kind(a, "bearer " + reader, Scope::read) == AuthResult::Kind::allowed);
  CHECK(kind(a, "BEARER  " + reader + " ", Scope::read) == AuthResult::Kind::allowed);
}

TEST_CASE("scopes include the ones below them") {
  const Authorizer a = fixture();
  CHECK(kind(a, "Bearer " + reader, Scope::write) == AuthResult::Kind::forbidden);
  CHECK(kind(a, "Bearer " + writer, Scope::write, "db") == AuthResult::Kind::allowed);
  CHECK(kind(a, "Bearer " + writer, Scope::read) == AuthResult::Kind::allowed);
  CHECK(kind(a, "Bearer " + writer, Scope::admin, "db") == AuthResult::Kind::forbidden);
  CHECK(kind(a, "Bearer " + admin, Scope::admin, "db") == AuthResult::Kind::allowed);
  CHECK(kind(a, "Bearer " + admin, Scope::write, "db") == AuthResult::Kind::allowed);
}

TEST_CASE("service prefixes limit a token") {
  const Authorizer a = fixture();
  const std::string header = "Bearer " + web_writer;
  CHECK(kind(a, header, Scope::write, "web") == AuthResult::Kind::allowed);
  CHECK(kind(a, header, Scope::write, "webhook") == AuthResult::Kind::allowed);
  CHECK(kind(a, header, Scope::write, "api-v2") == AuthResult::Kind::allowed);
  CHECK(kind(a, header, Scope::write, "api") == AuthResult::Kind::forbidden);
  CHECK(kind(a, header, Scope::write, "db") == AuthResult::Kind::forbidden);
  CHECK(kind(a, header, Scope::read) == AuthResult::Kind::allowed);  // no particular service
}

TEST_CASE("replace rotates the tokens") {
  Authorizer a = fixture();
  a.replace({{"rotated-token-0123456789", Scope::write, {}}});
  CHECK(kind(a, "Bearer " + writer, Scope::write, "web") == AuthResult::Kind::unauthenticated);
  CHECK(kind(a, "Bearer rotated-token-0123456789", Scope::write, "web") == AuthResult::Kind::allowed);
}

TEST_CASE("refusal reasons never quote the token") {
  const Authorizer a = fixture();
  for (const auto& header : {"Bearer " + reader, "Bearer " + web_writer, std::string("Bearer wrong-token-0123456789")}) {
    const auto result = a.check(header, Scope::admin, "db");
    CHECK(result.kind != AuthResult::Kind::allowed);
    CHECK(result.reason.find("token-0123456789") == std::string::npos);
  }
}
