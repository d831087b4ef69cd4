// SPDX-License-Identifier: BSD-3-Clause
#include "support/shapes.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace finegrain {
namespace bench {

conv2d_shape conv_layer::shape() const
{
    conv2d_shape s;
    s.batch = 1;
    s.in_channels = in_channels;
    s.out_channels = out_channels;
    s.in_height = height;
    s.in_width = width;
    s.kernel_h = s.kernel_w = kernel;
    s.stride_h = s.stride_w = stride;
    s.pad_h = s.pad_w = pad;
    return s;
}

gemm_shape conv_layer::gemm() const
{
    const conv2d_shape s = shape();
    return gemm_shape{out_channels, s.out_height() * s.out_width(), s.taps()};
}

namespace {

[[noreturn]] void fail(const std::string& path, int line, const std::string& what)
{
    throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

// Calls fn(tokens, line_number) for every non-blank, non-comment line.
template <class F>
void for_each_line(const std::string& path, F&& fn)
{
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open shape file");
    std::string text;
    int number = 0;
    while (std::getline(in, text)) {
        ++number;
        const auto hash = text.find('#');
        if (hash != std::string::npos) text.erase(hash);
        std::istringstream words(text);
        std::vector<std::string> tokens;
        for (std::string w; words >> w;) tokens.push_back(w);
        if (!tokens.empty()) fn(tokens, number);
    }
}

index_t parse_field(const std::string& path, int line, const std::string& token, const char* field, index_t min)
{
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(token, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != token.size() || token.empty())
        fail(path, line, std::string(field) + " '" + token + "' is not an integer");
    if (v < min) fail(path, line, std::string(field) + " " + token + " must be >= " + std::to_string(min));
    return static_cast<index_t>(v);
}

void require_unique(std::set<std::string>& names, const std::string& path, int line, const std::string& name)
{
    if (!names.insert(name).second) fail(path, line, "duplicate layer name '" + name + "'");
}

} // namespace

std::vector<conv_layer> load_conv_layers(const std::string& path)
{
    std::vector<conv_layer> layers;
    std::set<std::string> names;
    for_each_line(path, [&](const std::vector<std::string>& t, int line) {
        if (t.size() != 8)
            fail(path, line, "expected 8 fields (name Cin Cout H W k stride pad), got " + std::to_string(t.size()));
        conv_layer l;
        l.name = t[0];
        l.in_channels = parse_field(path, line, t[1], "Cin", 1);
        l.out_channels = parse_field(path, line, t[2], "Cout", 1);
        l.height = parse_field(path, line, t[3], "H", 1);
        l.width = parse_field(path, line, t[4], "W", 1);
        l.kernel = parse_field(path, line, t[5], "k", 1);
        l.stride = parse_field(path, line, t[6], "stride", 1);
        l.pad = parse_field(path, line, t[7], "pad", 0);
        try {
            l.shape().validate();
        } catch (const std::exception& e) {
            fail(path, line, std::string("invalid conv shape: ") + e.what());
        }
        require_unique(names, path, line, l.name);
        layers.push_back(l);
    });
    if (layers.empty()) throw std::runtime_error(path + ": no layers");
    return layers;
}

std::vector<fc_layer> load_fc_layers(const std::string& path)
{
    std::vector<fc_layer> layers;
    std::set<std::string> names;
    for_each_line(path, [&](const std::vector<std::string>& t, int line) {
        if (t.size() != 4)
            fail(path, line, "expected 4 fields (name in_features out_features batch), got " + std::to_string(t.size()));
        fc_layer l;
        l.name = t[0];
        l.in_features = parse_field(path, line, t[1], "in_features", 1);
        l.out_features = parse_field(path, line, t[2], "out_features", 1);
        l.batch = parse_field(path, line, t[3], "batch", 1);
        require_unique(names, path, line, l.name);
        layers.push_back(l);
    });
    if (layers.empty()) throw std::runtime_error(path + ": no layers");
    return layers;
}

std::string shapes_dir()
{
    const char* env = std::getenv("FINEGRAIN_BENCH_SHAPES");
    if (env != nullptr && *env != '\0') return env;
    return FINEGRAIN_BENCH_SHAPES_DIR;
}

const std::vector<std::string>& conv_shape_files()
{
    static const std::vector<std::string> files = {"vgg16_conv3x3.txt", "resnet18_conv3x3.txt",
                                                   "resnet50_conv1x1.txt", "mobilenet_conv1x1.txt"};
    return files;
}

std::vector<conv_layer> load_all_conv_layers()
{
    std::vector<conv_layer> all;
    std::set<std::string> names;
    for (const std::string& f : conv_shape_files()) {
        const std::string path = shapes_dir() + "/" + f;
        for (conv_layer& l : load_conv_layers(path)) {
            if (!names.insert(l.name).second) throw std::runtime_error(path + ": layer '" + l.name + "' is also in another file");
            all.push_back(std::move(l));
        }
    }
    return all;
}

std::vector<fc_layer> load_all_fc_layers() { return load_fc_layers(shapes_dir() + "/fc.txt"); }

} // namespace bench
} // namespace finegrain
