#pragma once
// The API's TLS server context (OpenSSL through Asio): TLS 1.2 or later, the certificate
// chain and private key from PEM files (http.tls).

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace beacon::http {

/// Loads `certificate` (PEM, leaf first) and `key` (PEM) and checks that they belong
/// together. Throws std::runtime_error naming the config key and the file at fault.
std::shared_ptr<boost::asio::ssl::context> load_tls_context(const std::string& certificate, const std::string& key);

}  // namespace beacon::http
