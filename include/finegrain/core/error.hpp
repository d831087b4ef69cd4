// SPDX-License-Identifier: BSD-3-Clause
// finegrain::error: the one exception type. Its message names the argument and its value.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace finegrain {

/// Thrown for every bad input: wrong shape, out-of-range index, corrupt packed data,
/// unsupported parameter. `what()` reads "finegrain: <argument> = <value>: <requirement>".
class error : public std::invalid_argument {
public:
    explicit error(const std::string& message) : std::invalid_argument(message) {}
};

namespace detail {

template <class Value>
[[noreturn]] void throw_invalid(const char* argument, const Value& value, const char* requirement)
{
    std::ostringstream os;
    os << "finegrain: " << argument << " = " << value << ": " << requirement;
    throw error(os.str());
}

/// `require(cond, "shape.m", m, "must be positive")` throws unless `cond` holds.
template <class Value>
void require(bool condition, const char* argument, const Value& value, const char* requirement)
{
    if (!condition) throw_invalid(argument, value, requirement);
}

} // namespace detail
} // namespace finegrain
