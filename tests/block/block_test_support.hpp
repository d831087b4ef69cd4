// Helpers shared by the block-family tests: random block-sparse matrices and punched weights.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "finegrain/block/format.hpp"
#include "finegrain/block/punched_format.hpp"
#include "support/testing.hpp"

namespace fgtest {

/// Random m x k weights in [-1, 1) where each r x c block is zero with probability `sparsity`
/// (1.0: all zero, 0.0: dense). Kept blocks also get a few explicit zeros inside.
inline std::vector<float> random_block_sparse(index_t m, index_t k, finegrain::block::block_shape bs, double sparsity,
                                              std::uint32_t seed)
{
    auto w = random_floats(std::size_t(m * k), seed);
    std::mt19937 rng(seed ^ 0x9e3779b9u);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const index_t bcs = (k + bs.c - 1) / bs.c;
    std::vector<char> zero(std::size_t(((m + bs.r - 1) / bs.r) * bcs));
    for (auto& z : zero) z = u(rng) < sparsity;
    for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < k; ++j)
            if (zero[std::size_t((i / bs.r) * bcs + j / bs.c)] || u(rng) < 0.05) w[std::size_t(i * k + j)] = 0.0f;
    return w;
}

/// Random OIHW 3x3 weights where each (filters x channels block, tap) entry is zero with
/// probability `sparsity`.
inline std::vector<float> random_punched(index_t o_n, index_t c_n, finegrain::block::punched_shape ps, double sparsity,
                                         std::uint32_t seed)
{
    auto w = random_floats(std::size_t(o_n * c_n * 9), seed);
    std::mt19937 rng(seed ^ 0x85ebca6bu);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const index_t cbs = (c_n + ps.channels - 1) / ps.channels;
    std::vector<char> zero(std::size_t(((o_n + ps.filters - 1) / ps.filters) * cbs * 9));
    for (auto& z : zero) z = u(rng) < sparsity;
    for (index_t o = 0; o < o_n; ++o)
        for (index_t ch = 0; ch < c_n; ++ch)
            for (index_t t = 0; t < 9; ++t)
                if (zero[std::size_t(((o / ps.filters) * cbs + ch / ps.channels) * 9 + t)])
                    w[std::size_t((o * c_n + ch) * 9 + t)] = 0.0f;
    return w;
}

inline const std::vector<finegrain::block::block_shape>& all_block_shapes()
{
    static const std::vector<finegrain::block::block_shape> s = [] {
        std::vector<finegrain::block::block_shape> v;
        for (index_t r : {1, 2, 4, 8, 16})
            for (index_t c : {1, 2, 4, 8, 16}) v.push_back({r, c});
        return v;
    }();
    return s;
}

} // namespace fgtest
