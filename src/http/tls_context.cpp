#include "http/tls_context.hpp"

#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace beacon::http {
namespace {

namespace ssl = boost::asio::ssl;

/// OpenSSL's reasons for an unreadable file are vague ("system lib"): say it plainly first.
void require_readable(const std::string& file, const std::string& key) {
  if (!std::ifstream(file)) throw std::runtime_error(key + ": cannot read " + file + ": " + std::strerror(errno));
}

}  // namespace

std::shared_ptr<ssl::context> load_tls_context(const std::string& certificate, const std::string& key) {
  require_readable(certificate, "http.tls.certificate");
  require_readable(key, "http.tls.key");
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(certificate, ec);
  if (ec) throw std::runtime_error("http.tls.certificate: " + certificate + " is not a PEM certificate: " + ec.message());
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("http.tls.key: " + key + " is not a PEM private key of " + certificate + ": " + ec.message());
  if (SSL_CTX_check_private_key(context->native_handle()) != 1)
    throw std::runtime_error("http.tls.key: " + key + " does not match the certificate " + certificate);
  return context;
}

}  // namespace beacon::http
