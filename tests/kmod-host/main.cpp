// Catch2's main for the kmod core's host tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
