// SPDX-License-Identifier: BSD-3-Clause
#include "support/json.hpp"

#include <cmath>
#include <cstdio>

#include "support/context.hpp"

namespace finegrain {
namespace bench {

std::string json_string(const std::string& s)
{
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') (out += '\\') += ch;
        else if (static_cast<unsigned char>(ch) < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", ch);
            out += b;
        } else out += ch;
    }
    return out + "\"";
}

std::string json_number(double v)
{
    if (!std::isfinite(v)) return "null";
    char b[32];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

std::string json_array(const std::vector<double>& v)
{
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_number(v[i]);
    return s + "]";
}

void write_json_context(std::ostream& out, int indent)
{
    const std::string pad(std::size_t(indent), ' ');
    out << pad << "\"context\": {";
    bool first = true;
    for (const auto& kv : machine_context()) {
        out << (first ? "\n" : ",\n") << pad << "  " << json_string(kv.first) << ": " << json_string(kv.second);
        first = false;
    }
    out << "\n" << pad << "}";
}

} // namespace bench
} // namespace finegrain
