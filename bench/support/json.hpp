// SPDX-License-Identifier: BSD-3-Clause
// The few JSON pieces the compare tools write: escaped strings, numbers (null for NaN/inf),
// number arrays, and the machine context object.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace finegrain {
namespace bench {

/// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_string(const std::string& s);

/// `v` with 9 significant digits, or null when it is not finite.
std::string json_number(double v);

/// [v0, v1, ...] of json_number.
std::string json_array(const std::vector<double>& v);

/// Writes `"context": {...}` (machine_context(), one key per line, `indent` spaces deep).
void write_json_context(std::ostream& out, int indent = 2);

} // namespace bench
} // namespace finegrain
