// Boost.Asio's SSL implementation, compiled once (BOOST_ASIO_SEPARATE_COMPILATION) beside
// asio_impl.cpp, in its own library so that only what speaks TLS (the API, beaconctl) links
// OpenSSL.
#include <boost/asio/ssl/impl/src.hpp>
