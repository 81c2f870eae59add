// The one translation unit that compiles Asio and Beast (BOOST_*_SEPARATE_COMPILATION), so
// every other file only sees declarations and the build stays fast on small machines.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
