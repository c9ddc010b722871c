// The main() for Catch2 v2, compiled once and linked into every test executable.
// Catch2 v3 provides its own through Catch2::Catch2WithMain, so this file is unused there.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
