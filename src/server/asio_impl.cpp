// The one translation unit that compiles Boost.Asio's implementation
// (BOOST_ASIO_SEPARATE_COMPILATION), so the rest of the code only includes declarations.
#include <boost/asio/impl/src.hpp>
