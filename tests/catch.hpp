// The one place that knows Catch2's major version: Debian 12 ships v2 (a
// single header), v3 is split into headers plus a library. Tests include this.
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>  // Catch2 v3
#define LOSSFN_CATCH_V3 1
#else
#include <catch2/catch.hpp>  // Catch2 v2
#endif
