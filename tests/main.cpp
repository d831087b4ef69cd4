// The doctest runner: its own TU, baseline flags (never in a dispatch TU).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
