// pattern::conv3x3_plan against ref::conv2d on the to_dense() weights, on every arch.
#include <array>
#include <random>
#include <vector>

#include "finegrain/pattern/format.hpp"
#include "finegrain/pattern/plan.hpp"
#include "finegrain/pattern/project.hpp"
#include "finegrain/ref/conv2d.hpp"
#include "support/testing.hpp"

using namespace finegrain;
using namespace finegrain::pattern;
using fgtest::random_floats;

namespace {

struct pattern_case {
    conv2d_shape shape;
    pattern_set lib = pattern_set::patdnn4();
    double connectivity = 1.0;
    index_t group = 1;
    activation act = activation::relu;
    conv3x3_options opt{};
    executor* pool = nullptr;
    bool row_padded_views = false;
    index_t pruned_filter = -1;  // >= 0: this output channel's weights are zero (no kept kernel)
};

packed_weights make_weights(const pattern_case& c, std::uint32_t seed)
{
    const auto& s = c.shape;
    auto dense = random_floats(std::size_t(s.weight_dims().size()), seed);
    if (c.pruned_filter >= 0)
        for (index_t i = 0; i < s.in_channels * 9; ++i) dense[std::size_t(c.pruned_filter * s.in_channels * 9 + i)] = 0.0f;
    const projection p = project(tensor4_view<const float>(dense.data(), s.weight_dims()), c.lib, c.connectivity, c.group);
    return pack(tensor4_view<const float>(p.weights.data(), s.weight_dims()), c.lib);
}

// Runs the plan and the dense reference on the same weights; returns the plan's kernel name.
template <class Arch>
std::string check_case(const pattern_case& c, std::uint32_t seed)
{
    const auto& s = c.shape;
    CAPTURE(s.batch);
    CAPTURE(s.in_channels);
    CAPTURE(s.out_channels);
    CAPTURE(s.in_height);
    CAPTURE(s.in_width);
    CAPTURE(s.stride_h);
    CAPTURE(s.stride_w);
    CAPTURE(s.pad_h);
    CAPTURE(s.pad_w);
    CAPTURE(c.group);
    CAPTURE(c.connectivity);
    CAPTURE(c.lib.k());
    const packed_weights w = make_weights(c, seed);
    const auto dense = w.to_dense();
    const auto in = random_floats(std::size_t(s.input_dims().size()), seed + 1);
    const auto bias = random_floats(std::size_t(s.out_channels), seed + 2);
    const auto od = s.output_dims();
    std::vector<float> want(std::size_t(od.size()));
    ref::conv2d(s, tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<const float>(dense.data(), s.weight_dims()),
                bias.data(), tensor4_view<float>(want.data(), od), c.act);

    conv3x3_options opt = c.opt;
    opt.bias = bias.data();
    opt.act = c.act;
    opt.pool = c.pool;
    const conv3x3_plan<float> plan(w, s, opt);
    // Tap-plane kernels on avx512 take the 8-lane avx2 kernels for rows of at most 8 outputs.
    const bool narrow = plan.filter_group() == 0 && conv3x3_plan<float>::takes_8_lanes(Arch::id, s.out_width());
    CHECK(narrow == (Arch::id == simd::arch_id::avx512 && plan.filter_group() == 0 && s.out_width() <= 8));
    CHECK(plan.arch() == (narrow ? simd::arch_id::avx2 : Arch::id));
    CAPTURE(plan.kernel_name());
    std::vector<float> got(want.size(), -5.0f);
    if (!c.row_padded_views) {
        plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(got.data(), od));
        plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(got.data(), od));  // reusable
    } else {  // rows padded by 2 in both tensors: the plan must honour strides and leave padding alone
        const auto id = s.input_dims();
        const index_t ish = id.w + 2, osh = od.w + 2;
        std::vector<float> pin(std::size_t(id.n * id.c * id.h * ish), 1e30f), pout(std::size_t(od.n * od.c * od.h * osh), 77.0f);
        tensor4_view<float> piv(pin.data(), id, id.c * id.h * ish, id.h * ish, ish);
        for (index_t n = 0; n < id.n; ++n)
            for (index_t ch = 0; ch < id.c; ++ch)
                for (index_t y = 0; y < id.h; ++y)
                    for (index_t x = 0; x < id.w; ++x) piv(n, ch, y, x) = in[std::size_t(((n * id.c + ch) * id.h + y) * id.w + x)];
        tensor4_view<float> pov(pout.data(), od, od.c * od.h * osh, od.h * osh, osh);
        plan.run(tensor4_view<const float>(piv), pov);
        for (index_t n = 0; n < od.n; ++n)
            for (index_t ch = 0; ch < od.c; ++ch)
                for (index_t y = 0; y < od.h; ++y) {
                    for (index_t x = 0; x < od.w; ++x) got[std::size_t(((n * od.c + ch) * od.h + y) * od.w + x)] = pov(n, ch, y, x);
                    for (index_t x = od.w; x < osh; ++x) CHECK(pov.plane(n, ch)[y * osh + x] == 77.0f);
                }
    }
    fgtest::check_close(got.data(), want.data(), got.size(), fgtest::fp32_tol(s.taps(), 1, 1), plan.kernel_name());
    return plan.kernel_name();
}

// A 3x3 conv of batch 1-2, stride 1-2, padding 0-1 and random sizes up to the given ones;
// pick(lo, hi) draws an integer in [lo, hi].
template <class Pick>
conv2d_shape random_shape(Pick&& pick, index_t max_ci, index_t max_co, index_t max_h, index_t max_w)
{
    conv2d_shape s;
    s.batch = pick(1, 2);
    s.in_channels = pick(1, max_ci);
    s.out_channels = pick(1, max_co);
    s.stride_h = s.stride_w = pick(1, 2);
    s.pad_h = s.pad_w = pick(0, 1);
    s.in_height = pick(3 - 2 * s.pad_h, max_h);
    s.in_width = pick(3 - 2 * s.pad_w, max_w);
    return s;
}
pattern_case square(index_t batch, index_t ci, index_t co, index_t size, index_t stride, index_t pad)
{
    pattern_case c;
    c.shape = conv2d_shape::square(batch, ci, co, size, 3, stride, pad);
    return c;
}

// A library of up to 16 k-entry masks, spread over the 3x3 positions.
pattern_set library_of_k(int k)
{
    std::vector<mask_t> m;
    for (int mask = 511; mask >= 1 && m.size() < 16; mask -= 7)
        if (popcount9(static_cast<mask_t>(mask)) == k) m.push_back(static_cast<mask_t>(mask));
    for (int mask = 1; mask < 512 && m.empty(); ++mask)
        if (popcount9(static_cast<mask_t>(mask)) == k) m.push_back(static_cast<mask_t>(mask));
    return pattern_set(m);
}

} // namespace

TEST_CASE("pattern conv3x3 plan matches the dense reference on every arch")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::uint32_t seed = 1000;
        SUBCASE("random shapes, strides, paddings, groups, compressions")
        {
            std::mt19937 rng(5);
            auto pick = [&](index_t lo, index_t hi) { return std::uniform_int_distribution<index_t>(lo, hi)(rng); };
            for (int i = 0; i < 12; ++i) {
                pattern_case c;
                c.shape = random_shape(pick, 19, 21, 17, 17);
                c.connectivity = std::uniform_real_distribution<double>(0.1, 1.0)(rng);
                const index_t groups[] = {1, 1, 8, 16, 3};
                c.group = groups[pick(0, 4)];
                c.act = i % 3 == 0 ? activation::none : i % 3 == 1 ? activation::relu : activation::relu6;
                check_case<A>(c, seed++);
            }
        }
        SUBCASE("edge battery: channels, sizes, odd stride-2 inputs, rectangular strides/pads")
        {
            for (index_t ch : {1, 2, 67}) {
                check_case<A>(square(1, ch, 3, 5, 1, 1), seed++);
                check_case<A>(square(1, 3, ch, 5, 2, 1), seed++);
            }
            for (index_t size : {1, 2, 3, 4, 7, 9, 33})
                for (index_t stride : {1, 2})
                    for (index_t pad : {0, 1}) {
                        if (size + 2 * pad < 3) continue;
                        check_case<A>(square(1, 2, 3, size, stride, pad), seed++);
                    }
            pattern_case c = square(2, 4, 5, 9, 1, 1);
            c.shape.in_width = 16;
            c.shape.stride_w = 2;
            c.shape.pad_h = 0;
            check_case<A>(c, seed++);
            c.shape.in_height = 1;  // H = 1 with pad 1
            c.shape.pad_h = 1;
            c.shape.in_width = 33;
            c.shape.stride_w = 1;
            c.shape.stride_h = 2;
            check_case<A>(c, seed++);
            c = square(1, 3, 4, 11, 1, 1);
            c.row_padded_views = true;
            check_case<A>(c, seed++);
            c = square(2, 3, 4, 9, 2, 0);
            c.row_padded_views = true;
            check_case<A>(c, seed++);
        }
        SUBCASE("all kernels pruned, one kernel kept, every library pattern")
        {
            pattern_case c = square(1, 6, 5, 7, 1, 1);
            c.connectivity = 0.0;
            check_case<A>(c, seed++);  // output = act(bias)
            c.connectivity = 1.0 / 30.0;
            check_case<A>(c, seed++);
            const pattern_set lib = pattern_set::patdnn4();
            for (int p = 0; p < lib.size(); ++p) {  // each pattern alone as the library
                c = square(1, 3, 4, 8, 1 + p % 2, 1);
                c.lib = pattern_set({lib.mask(p)});
                check_case<A>(c, seed++);
            }
        }
        SUBCASE("k = 1..9")
        {
            for (int k = 1; k <= 9; ++k) {
                pattern_case c = square(1, 5, 6, 7, 1 + k % 2, k % 2);
                c.lib = library_of_k(k);
                c.connectivity = 0.7;
                check_case<A>(c, seed++);
            }
        }
        SUBCASE("groups g = 1, 8, 16 and g not dividing Cout: shared register tiles")
        {
            for (index_t g : {1, 8, 16, 6}) {
                pattern_case c = square(1, 9, 20, 10, 1, 1);
                c.group = g;
                c.connectivity = 0.5;
                const std::string name = check_case<A>(c, seed++);
                if (g == 8 || g == 16) CHECK(name.find("_4x") != std::string::npos);  // NF = 4 found by the plan
                c.shape.stride_h = c.shape.stride_w = 2;
                check_case<A>(c, seed++);
            }
        }
        SUBCASE("output-channel-vectorised group kernels: auto choice and edge battery")
        {
            pattern_case c = square(1, 9, 32, 10, 1, 1);
            c.group = 16;
            c.connectivity = 0.5;
            CHECK(check_case<A>(c, seed++).find("pattern_group_relu_16x") != std::string::npos);
            c.opt.filter_group = 1;  // off: the tap-plane kernels
            CHECK(check_case<A>(c, seed++).find("pattern_relu_4x") != std::string::npos);
            c = square(1, 9, 32, 10, 2, 1);
            c.group = 8;
            const bool has8 = simd::lanes_of<float, A>() <= 8;  // 8 filters = whole vectors
            CHECK(check_case<A>(c, seed++).find(has8 ? "pattern_group_relu_8x" : "pattern_relu_4x") != std::string::npos);

            for (index_t g : {16, 8}) {
                if (g == 8 && !has8) continue;
                CAPTURE(g);
                auto grouped = [&](index_t batch, index_t ci, index_t co, index_t size, index_t stride, index_t pad) {
                    pattern_case e = square(batch, ci, co, size, stride, pad);
                    e.group = g;
                    e.connectivity = 0.6;
                    e.opt.filter_group = g;
                    return e;
                };
                for (index_t ch : {1, 2, 67}) {
                    check_case<A>(grouped(1, ch, 3, 5, 1, 1), seed++);
                    check_case<A>(grouped(1, 3, ch, 5, 2, 1), seed++);
                }
                check_case<A>(grouped(1, 3, 17, 6, 1, 0), seed++);
                for (index_t size : {1, 2, 3, 4, 7, 9, 13, 33})
                    for (index_t stride : {1, 2})
                        for (index_t pad : {0, 1}) {
                            if (size + 2 * pad < 3) continue;
                            check_case<A>(grouped(stride, 2, g + 3, size, stride, pad), seed++);  // batch 2 with stride 2
                        }
                c = grouped(1, 4, 20, 9, 1, 1);  // rectangular: stride (1, 2), pad (0, 1), 9 x 16
                c.shape.in_width = 16;
                c.shape.stride_w = 2;
                c.shape.pad_h = 0;
                check_case<A>(c, seed++);
                c.shape.stride_h = 2;  // stride (2, 1), pad (1, 0), 8 x 15
                c.shape.stride_w = 1;
                c.shape.pad_h = 1;
                c.shape.pad_w = 0;
                c.shape.in_height = 8;
                c.shape.in_width = 15;
                check_case<A>(c, seed++);
                for (index_t pad : {0, 1}) {  // strided views: the copy path for padding 0 too
                    c = grouped(2, 3, 18, 11, 1 + pad, pad);
                    c.row_padded_views = true;
                    check_case<A>(c, seed++);
                }
                c = grouped(1, 6, 2 * g, 7, 1, 1);
                c.connectivity = 0.0;  // all pruned: act(bias)
                check_case<A>(c, seed++);
                c.connectivity = 1.0 / 6.0;  // one kernel per group
                check_case<A>(c, seed++);
                for (index_t group : {6, 1, 32}) {  // groups not dividing Cout, independent, wider: dummy lanes
                    c = grouped(1, 9, 20, 10, 1 + group % 2, 1);
                    c.group = group;
                    check_case<A>(c, seed++);
                }
                for (int k = 1; k <= 9; ++k) {
                    c = grouped(1, 5, g + 2, 7, 1 + k % 2, k % 2);
                    c.lib = library_of_k(k);
                    check_case<A>(c, seed++);
                }
                thread_pool pool(2);
                c = grouped(1, 8, 3 * g + 1, 14, 1, 1);
                c.pool = &pool;
                check_case<A>(c, seed++);
                // Row blocks of 1..3 rows (each block's rows copied into the worker's slab, the
                // rows outside the image re-zeroed) on 1, 2 and 3 workers: bands of rows (few
                // groups, many rows) or ranges of groups (many groups, few rows), uneven splits,
                // dummy filters, padding 0 in place and through the slab (strided views).
                thread_pool pool3(3);
                for (index_t size : {1, 2, 3, 5, 8, 17})
                    for (index_t stride : {1, 2})
                        for (index_t pad : {0, 1}) {
                            if (size + 2 * pad < 3) continue;
                            for (index_t rows : {1, 2, 3}) {
                                c = grouped(1 + pad * (rows % 2), 3, (size < 8 ? 3 : 1) * g + 1, size, stride, pad);
                                c.opt.group_rows = rows;
                                c.pool = rows == 1 ? nullptr : rows == 2 ? &pool : &pool3;
                                c.row_padded_views = pad == 0 && rows == 3;
                                check_case<A>(c, seed++);
                            }
                        }
                c = grouped(1, 5, g - 1, 33, 1, 1);  // one group: 33 rows in 2 bands of 16 and 17, blocks of 4
                c.opt.group_rows = 4;
                c.pool = &pool;
                check_case<A>(c, seed++);
            }
        }
        SUBCASE("every compiled tile, channel blocks and task tiles")
        {
            const index_t tiles[][2] = {{1, 4}, {1, 6}, {1, 7}, {1, 8}, {1, 9}, {1, 10}, {1, 12}, {2, 4}, {2, 6}, {4, 2}, {4, 3}};
            for (const auto& t : tiles)
                for (int k : {4, 3}) {
                    pattern_case c = square(1, 7, 9, 9, 1, 1);
                    c.group = 4;
                    c.lib = k == 4 ? pattern_set::patdnn4() : library_of_k(3);
                    c.connectivity = 0.6;
                    c.opt.filter_block = t[0];
                    c.opt.tile_vectors = t[1];
                    c.opt.channel_block = 2;
                    c.opt.task_vectors = 2 * t[1];
                    const std::string name = check_case<A>(c, seed++);
                    CHECK(name.find("_" + std::to_string(t[0]) + "x") != std::string::npos);
                }
        }
        SUBCASE("row tiles (kernel-level LRE): every R x V tile, row and column remainders")
        {
            const index_t lanes = simd::lanes_of<float, A>();
            auto mask_of = [](int a, int b, int c, int d) { return static_cast<mask_t>((1u << a) | (1u << b) | (1u << c) | (1u << d)); };
            // Every pattern of this library has a vertical pair at stride 2 too (rows 0 and 2).
            const int columns[][4] = {{1, 4, 7, 3}, {1, 4, 7, 5}, {0, 3, 6, 4}, {2, 5, 8, 4}};
            std::vector<mask_t> m;
            for (const auto& t : columns) m.push_back(mask_of(t[0], t[1], t[2], t[3]));
            const pattern_set columns_lib(m);
            // Output widths of 1..5 vectors (V = 1, 2, 3, 4 and 4 + a 1-vector remainder).
            for (index_t pv = 1; pv <= 5; ++pv)
                for (index_t extra : {0, 1}) {
                    const index_t ow = std::max<index_t>(1, pv * lanes - extra * (lanes / 2));
                    for (index_t oh : {1, 2, 3, 7, 9, 11, 17}) {
                        pattern_case c = square(1, 5, 6, 1, 1, 1);
                        c.shape.in_height = oh;
                        c.shape.in_width = ow;
                        c.connectivity = 0.7;
                        CHECK(check_case<A>(c, seed++).find("pattern_lre_relu_") != std::string::npos);
                    }
                }
            for (index_t size : {1, 2, 3, 4, 5, 9, 16, 17, 33})
                for (index_t stride : {1, 2})
                    for (index_t pad : {0, 1}) {
                        if (size + 2 * pad < 3) continue;
                        pattern_case c = square(stride, 3, 4, size, stride, pad);
                        c.lib = stride == 2 ? columns_lib : pattern_set::patdnn4();
                        c.act = pad ? activation::relu6 : activation::none;
                        CHECK(check_case<A>(c, seed++).find("pattern_lre_") != std::string::npos);
                    }
            for (int p = 0; p < pattern_set::patdnn4().size(); ++p) {  // each pattern alone
                pattern_case c = square(1, 3, 4, 13, 1, 1);
                c.lib = pattern_set({pattern_set::patdnn4().mask(p)});
                c.opt.filter_block = 1;  // identical kernel lists would otherwise share 4-filter tiles
                CHECK(check_case<A>(c, seed++).find("pattern_lre_") != std::string::npos);
            }
            // Channel blocks, tasks of one row (rounded up from 1 vector), all pruned, one kept.
            pattern_case c = square(1, 9, 7, 19, 1, 1);
            c.connectivity = 0.5;
            c.opt.channel_block = 2;
            c.opt.task_vectors = 1;
            CHECK(check_case<A>(c, seed++).find("pattern_lre_") != std::string::npos);
            c.connectivity = 0.0;
            check_case<A>(c, seed++);
            c.connectivity = 1.0 / 63.0;
            check_case<A>(c, seed++);
            // Tiles of 5 rows on a 56-wide image: a rest of 1 or 2 rows joins the last tile (5 +
            // 6, 5 + 7: the kernel runs them as 3 + 3 and 4 + 3 rows), a rest of 3 stays a tile.
            // (Task tiles of 5 rows asked for: the default ~48 vectors is 5 rows of 7 AVX2
            // vectors but 10 rows of 4 AVX-512 ones.)
            for (index_t oh : {11, 12, 13}) {
                c = square(1, 5, 6, 1, 1, 1);
                c.shape.in_height = oh;
                c.shape.in_width = 56;
                c.connectivity = 0.5;
                c.opt.task_vectors = 5 * ((56 + lanes - 1) / lanes);
                const conv3x3_plan<float> plan(make_weights(c, seed), c.shape, c.opt);
                CHECK(plan.tile_rows() == 5);
                CHECK(plan.task_vectors() == (oh == 13 ? 5 : oh - 5) * ((56 + lanes - 1) / lanes));
                CHECK(check_case<A>(c, seed++).find("pattern_lre_") != std::string::npos);
            }
            // Rows of OW = P floats: filter-major row tiles accumulate in the NCHW output itself;
            // rows padded apart go through the flat scratch. The same sums, bit for bit, on 1 and
            // 2 workers, with several channel blocks (partial sums stored and reloaded in place).
            thread_pool two(2);
            for (executor* p : {static_cast<executor*>(nullptr), static_cast<executor*>(&two)}) {
                c = square(2, 9, 7, 1, 1, 1);
                c.shape.in_height = 12;
                c.shape.in_width = 3 * lanes;
                c.connectivity = 0.6;
                c.opt.channel_block = 3;
                c.opt.row_order = 2;
                c.opt.pool = p;
                const conv3x3_plan<float> plan(make_weights(c, seed++), c.shape, c.opt);
                REQUIRE(plan.tile_rows() > 0);
                REQUIRE(!plan.block_major());
                const auto od = c.shape.output_dims();
                const auto in = random_floats(std::size_t(c.shape.input_dims().size()), seed++);
                std::vector<float> dense_out(std::size_t(od.size()), -1.0f), padded(std::size_t(od.n * od.c * od.h * (od.w + 3)), -1.0f);
                plan.run(tensor4_view<const float>(in.data(), c.shape.input_dims()), tensor4_view<float>(dense_out.data(), od));
                tensor4_view<float> padded_view(padded.data(), od, od.c * od.h * (od.w + 3), od.h * (od.w + 3), od.w + 3);
                plan.run(tensor4_view<const float>(in.data(), c.shape.input_dims()), padded_view);
                index_t differ = 0;
                for (index_t n = 0; n < od.n; ++n)
                    for (index_t ch = 0; ch < od.c; ++ch)
                        for (index_t y = 0; y < od.h; ++y)
                            for (index_t x = 0; x < od.w; ++x)
                                differ += padded_view(n, ch, y, x) != dense_out[std::size_t(((n * od.c + ch) * od.h + y) * od.w + x)];
                CHECK(differ == 0);
            }
            // Both filter orders of one call per channel block (block-major: every filter per
            // R x V block; filter-major: each filter over the tile): 1 and 7 filters (one with
            // every kernel pruned), rows not a multiple of R, row vectors not a multiple of V,
            // one or several channel blocks (accumulate / epilogue per filter), tasks of 1 row.
            for (index_t order : {1, 2})
                for (index_t co : {1, 7})
                    for (index_t oh : {1, 7, 11})
                        for (index_t pv : {1, 3, 5}) {
                            c = square(1, 5, co, 1, 1, 1);
                            c.shape.in_height = oh;
                            c.shape.in_width = std::max<index_t>(1, pv * lanes - (pv == 3 ? lanes / 2 : 0));
                            c.connectivity = 0.6;
                            c.pruned_filter = co > 1 ? 3 : -1;
                            c.opt.row_order = order;
                            c.opt.channel_block = pv == 3 ? 0 : 2;
                            c.opt.task_vectors = oh == 7 ? 1 : 0;
                            const packed_weights w = make_weights(c, seed);
                            bool empty_filter = false;
                            for (index_t f = 0; f < co; ++f) empty_filter |= w.offset()[std::size_t(f) + 1] == w.offset()[std::size_t(f)];
                            CHECK(empty_filter == (co > 1));
                            const conv3x3_plan<float> plan(w, c.shape, c.opt);
                            CHECK(plan.block_major() == (order == 1));
                            CHECK(check_case<A>(c, seed++).find("pattern_lre_") != std::string::npos);
                        }
            CHECK_THROWS_WITH_AS(conv3x3_plan<float>(make_weights(c, 1), c.shape, [] {
                                     conv3x3_options o;
                                     o.row_order = 3;
                                     return o;
                                 }()),
                                 doctest::Contains("options.row_order"), finegrain::error);
            // No pair in a corner pattern, k != 4, or switched off: flat tiles.
            c = square(1, 4, 5, 12, 1, 1);
            c.lib = pattern_set({mask_of(0, 2, 6, 8), mask_of(0, 1, 3, 4)});
            CHECK(check_case<A>(c, seed++).find("pattern_lre") == std::string::npos);
            c.lib = library_of_k(5);
            CHECK(check_case<A>(c, seed++).find("pattern_lre") == std::string::npos);
            c.lib = pattern_set::patdnn4();
            c.opt.tile_rows = 1;
            CHECK(check_case<A>(c, seed++).find("pattern_lre") == std::string::npos);
            CHECK_THROWS_WITH_AS(conv3x3_plan<float>(make_weights(c, 1), c.shape, [] {
                                     conv3x3_options o;
                                     o.tile_rows = 3;
                                     return o;
                                 }()),
                                 doctest::Contains("options.tile_rows"), finegrain::error);
            // Two threads: bands of rows x 2 filter ranges, channel blocks.
            thread_pool pool(2);
            c = square(1, 6, 21, 17, 1, 1);
            c.pool = &pool;
            c.connectivity = 0.7;
            c.opt.channel_block = 2;
            c.opt.task_vectors = 2 * lanes;
            CHECK(check_case<A>(c, seed++).find("pattern_lre_") != std::string::npos);
        }
        SUBCASE("threads")
        {
            thread_pool pool(2);
            pattern_case c = square(2, 16, 24, 14, 1, 1);
            c.pool = &pool;
            c.connectivity = 0.4;
            check_case<A>(c, seed++);
            c = square(1, 8, 33, 7, 2, 1);
            c.pool = &pool;
            c.group = 8;
            check_case<A>(c, seed++);
            // Tap planes, flat 2-filter tiles: dummy filters, channel blocks; pixel tiles that end
            // mid-row on 1 worker, tiles rounded to whole rows in the bands of 2 workers.
            for (index_t stride : {1, 2})
                for (executor* p : {static_cast<executor*>(&pool), static_cast<executor*>(nullptr)}) {
                    c = square(1, 6, 21, 17, stride, 1);
                    c.pool = p;
                    c.group = 2;
                    c.connectivity = 0.7;
                    c.opt.filter_group = 1;
                    c.opt.filter_block = 2;
                    c.opt.tile_vectors = 4;
                    c.opt.task_vectors = 6;
                    c.opt.channel_block = 2;
                    check_case<A>(c, seed++);
                }
            // Tap planes on 2 and 3 workers: tasks = bands of rows x ranges of filters, each task
            // filling its worker's slab per tile and channel block (rows outside the image
            // re-zeroed in a reused slab) and storing its own rows: filter-only splits (1 band),
            // bands only, both (3 workers: 1 x 3, 3 x 1), bands of 1 row, bands shorter than R,
            // several tiles per band, strides, paddings, padded views, batch 2, the flat kernel.
            thread_pool pool3(3);
            index_t block_major_bands = 0;
            for (index_t workers : {2, 3})
                for (index_t bands : {1, 2, 3})
                    for (index_t stride : {1, 2})
                        for (index_t pad : {0, 1})
                            for (index_t size : {5, 13}) {
                                c = square(1 + (size == 5 && stride == 1), 7, 11, size, stride, pad);
                                c.pool = workers == 2 ? static_cast<executor*>(&pool) : &pool3;
                                c.connectivity = 0.6;
                                c.opt.row_bands = bands;
                                c.opt.channel_block = size == 13 ? 3 : 0;
                                c.opt.task_vectors = size == 13 ? 1 : 0;  // tiles of 1 row (R rows with row tiles)
                                c.opt.tile_rows = pad == 0 && size == 13 && bands == 2 ? 1 : 0;
                                c.opt.row_order = stride == 1 ? 1 : 2;  // row tiles: block-major or filter-major in a band
                                c.row_padded_views = pad == 1 && bands == 3;
                                const index_t oh = c.shape.out_height();
                                const conv3x3_plan<float> plan(make_weights(c, seed), c.shape, [&] {
                                    conv3x3_options o = c.opt;
                                    o.pool = c.pool;
                                    return o;
                                }());
                                CHECK(plan.row_bands() == std::min(bands, oh));
                                CHECK(plan.filter_ranges() == std::min<index_t>(11, std::max<index_t>(1, workers / std::min(bands, oh))));
                                CHECK(plan.block_major() == (plan.tile_rows() > 0 && stride == 1));
                                block_major_bands += plan.block_major();
                                check_case<A>(c, seed++);
                            }
            CHECK(block_major_bands > 0);
            // More bands than workers (one worker too): tasks taken in turn, each on its worker's slab.
            for (executor* p : {static_cast<executor*>(nullptr), static_cast<executor*>(&pool)}) {
                c = square(1, 5, 6, 23, 1, 1);
                c.pool = p;
                c.connectivity = 0.5;
                c.opt.row_bands = 4;
                const conv3x3_plan<float> plan(make_weights(c, seed), c.shape, [&] {
                    conv3x3_options o = c.opt;
                    o.pool = c.pool;
                    return o;
                }());
                CHECK(plan.row_bands() == 4);
                CHECK(plan.filter_ranges() == 1);
                check_case<A>(c, seed++);
            }
            // The cost model: bands on a tall image with few channels; a 1-row output can only
            // split its filters. Either way one task per worker.
            c = square(1, 4, 6, 40, 1, 1);
            c.pool = &pool;
            c.connectivity = 0.5;
            const conv3x3_plan<float> tall(make_weights(c, seed), c.shape, conv3x3_options{nullptr, activation::none, &pool});
            CHECK(tall.row_bands() == 2);
            CHECK(tall.filter_ranges() == 1);
            check_case<A>(c, seed++);
            c = square(1, 8, 24, 1, 1, 1);
            c.pool = &pool;
            c.connectivity = 0.5;
            const conv3x3_plan<float> short_wide(make_weights(c, seed), c.shape, conv3x3_options{nullptr, activation::none, &pool});
            CHECK(short_wide.row_bands() == 1);
            CHECK(short_wide.filter_ranges() == 2);
            check_case<A>(c, seed++);
            CHECK_THROWS_WITH_AS(conv3x3_plan<float>(make_weights(c, 1), c.shape, [] {
                                     conv3x3_options o;
                                     o.row_bands = -1;
                                     return o;
                                 }()),
                                 doctest::Contains("options.row_bands"), finegrain::error);
        }
    });
}

TEST_CASE("pattern conv3x3 plan on real layer shapes with projected Gaussian weights")
{
    // The bench's layers at full size, best arch. The dense oracle runs on 8 output channels.
    struct layer {
        index_t ci, co, size, stride;
        double compression;
        index_t group;
    };
    const layer layers[] = {{512, 512, 7, 1, 8.0, 1}, {256, 256, 14, 1, 4.0, 16}, {64, 128, 56, 2, 8.0, 1}};
    for (const layer& l : layers) {
        const auto s = conv2d_shape::square(1, l.ci, l.co, l.size, 3, l.stride, 1);
        std::mt19937 rng(11);
        std::normal_distribution<float> gauss(0.0f, 1.0f);
        std::vector<float> dense(std::size_t(s.weight_dims().size()));
        for (float& x : dense) x = gauss(rng) * 0.05f;
        const pattern_set lib = pattern_set::patdnn4();
        const projection p = project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib,
                                     connectivity_for(l.compression), l.group);
        CHECK(p.compression == doctest::Approx(l.compression).epsilon(0.01));
        const packed_weights w = pack(tensor4_view<const float>(p.weights.data(), s.weight_dims()), lib);
        CHECK(w.memory().ratio() <= (l.compression >= 8 ? 0.2 : 0.4));
        std::vector<float> in(std::size_t(s.input_dims().size()));
        for (float& x : in) x = std::max(0.0f, gauss(rng));
        std::vector<float> out(std::size_t(s.output_dims().size()));
        const conv3x3_plan<float> plan(w, s);
        CAPTURE(plan.kernel_name());
        plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(out.data(), s.output_dims()));

        auto slice = s;
        slice.out_channels = 8;
        const index_t first = l.co / 3;
        const auto wd = w.to_dense();
        std::vector<float> want(std::size_t(slice.output_dims().size()));
        ref::conv2d(slice, tensor4_view<const float>(in.data(), s.input_dims()),
                    tensor4_view<const float>(wd.data() + first * l.ci * 9, slice.weight_dims()), nullptr,
                    tensor4_view<float>(want.data(), slice.output_dims()));
        const index_t plane = s.out_height() * s.out_width();
        fgtest::check_close(out.data() + first * plane, want.data(), want.size(), fgtest::fp32_tol(s.taps(), 4, 0.05),
                            plan.kernel_name());
    }
}

TEST_CASE("pattern conv3x3 plan: 2-worker bands block channels as one worker when the row-tile block fits L1")
{
    // ResNet-18 layer-2 shape at 4x (patterns + connectivity), best arch: one worker runs
    // block-major row tiles over small channel blocks; two workers' bands must pick the same
    // channel block and order (the 256 KB blocks they used before ran filter-major), and still
    // compute the same output.
    const auto s = conv2d_shape::square(1, 128, 128, 28, 3, 1, 1);
    std::mt19937 rng(5);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> dense(std::size_t(s.weight_dims().size()));
    for (float& x : dense) x = gauss(rng) * 0.05f;
    const pattern_set lib = pattern_set::patdnn4();
    const projection p = project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib, connectivity_for(4.0), 1);
    const packed_weights w = pack(tensor4_view<const float>(p.weights.data(), s.weight_dims()), lib);
    thread_pool pool(2);
    const conv3x3_plan<float> one(w, s);
    const conv3x3_plan<float> two(w, s, conv3x3_options{nullptr, activation::none, &pool});
    const std::string name = one.kernel_name();
    CAPTURE(name);
    REQUIRE(two.row_bands() > 0);
    if (one.tile_rows() > 0 && one.block_major()) {
        CHECK(two.channel_block() == one.channel_block());
        CHECK(two.block_major());
    }
    if (one.arch() == simd::arch_id::avx2) CHECK(one.block_major());  // AVX2 (this host) exercises the case
    std::vector<float> in(std::size_t(s.input_dims().size()));
    for (float& x : in) x = std::max(0.0f, gauss(rng));
    std::vector<float> out1(std::size_t(s.output_dims().size())), out2(out1.size());
    one.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(out1.data(), s.output_dims()));
    two.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(out2.data(), s.output_dims()));
    fgtest::check_close(out2.data(), out1.data(), out1.size(), fgtest::fp32_tol(s.taps(), 4, 0.05), two.kernel_name());
}

// Every tuning knob is a user input: any mix of values either builds a plan that computes the
// convolution or throws finegrain::error naming the option (options.row_bands above the worker
// count once crashed the band planner).
TEST_CASE("pattern conv3x3 plan: random option sets compute the convolution or throw naming the option")
{
    fgtest::for_each_runnable_arch([](auto arch) {
        using A = decltype(arch);
        std::mt19937 rng(11);
        auto pick = [&](index_t lo, index_t hi) { return std::uniform_int_distribution<index_t>(lo, hi)(rng); };
        thread_pool pool2(2), pool3(3);
        int built = 0, rejected = 0;
        for (std::uint32_t i = 0; i < 60; ++i) {
            pattern_case c;
            c.shape = random_shape(pick, 12, 24, 20, 30);
            c.group = std::array<index_t, 4>{1, 1, 8, 16}[std::size_t(pick(0, 3))];
            c.connectivity = std::array<double, 4>{1.0, 0.5, 0.25, 0.0}[std::size_t(pick(0, 3))];
            c.pool = std::array<executor*, 3>{nullptr, &pool2, &pool3}[std::size_t(pick(0, 2))];
            conv3x3_options& o = c.opt;
            if (pick(0, 1)) o.filter_block = pick(0, 5);
            if (pick(0, 1)) o.tile_vectors = pick(0, 13);
            if (pick(0, 1)) o.channel_block = pick(0, 20);
            if (pick(0, 1)) o.task_vectors = pick(0, 200);
            if (pick(0, 2) == 0) o.tile_rows = pick(0, 2);
            if (pick(0, 2) == 0) o.row_order = pick(0, 3);
            if (pick(0, 2) == 0) o.filter_group = std::array<index_t, 5>{0, 1, 4, 8, 16}[std::size_t(pick(0, 4))];
            if (pick(0, 2) == 0) o.group_rows = pick(0, 30);
            if (pick(0, 1)) o.row_bands = pick(0, 30);
            CAPTURE(o.filter_block);
            CAPTURE(o.tile_vectors);
            CAPTURE(o.channel_block);
            CAPTURE(o.task_vectors);
            CAPTURE(o.tile_rows);
            CAPTURE(o.row_order);
            CAPTURE(o.filter_group);
            CAPTURE(o.group_rows);
            CAPTURE(o.row_bands);
            try {
                check_case<A>(c, 5000 + i);
                ++built;
            } catch (const finegrain::error& e) {
                CHECK(std::string(e.what()).find("options.") != std::string::npos);
                ++rejected;
            }
        }
        CHECK(built > 15);
        CHECK(rejected > 5);
    });
}

TEST_CASE("pattern conv3x3 plan rejects unsupported shapes and mismatched tensors")
{
    const auto s = conv2d_shape::square(1, 4, 5, 6, 3, 1, 1);
    const auto dense = random_floats(std::size_t(s.weight_dims().size()), 3);
    const pattern_set lib = pattern_set::patdnn4();
    const auto p = project(tensor4_view<const float>(dense.data(), s.weight_dims()), lib);
    const packed_weights w = pack(tensor4_view<const float>(p.weights.data(), s.weight_dims()), lib);
    auto bad = s;
    bad.stride_h = 3;
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, bad), doctest::Contains("conv2d_shape.stride_h = 3"), finegrain::error);
    bad = s;
    bad.pad_w = 2;
    bad.kernel_w = 5;
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, bad), doctest::Contains("kernel"), finegrain::error);
    bad = conv2d_shape::square(1, 4, 6, 6, 3, 1, 1);
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, bad), doctest::Contains("weights.out_channels = 5"), finegrain::error);
    bad = conv2d_shape::square(1, 3, 5, 6, 3, 1, 1);
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, bad), doctest::Contains("weights.in_channels = 4"), finegrain::error);
    conv3x3_options opt;
    opt.filter_block = 3;
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, s, opt), doctest::Contains("options.filter_block = 3"), finegrain::error);
    opt.filter_block = 0;
    opt.filter_group = 4;
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, s, opt), doctest::Contains("options.filter_group = 4"), finegrain::error);
    opt.filter_group = 0;
    opt.group_rows = -1;
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, s, opt), doctest::Contains("options.group_rows = -1"), finegrain::error);
    opt.group_rows = 0;
    opt.filter_block = 1;
    opt.tile_vectors = 5;
    CHECK_THROWS_WITH_AS(conv3x3_plan<float>(w, s, opt), doctest::Contains("options.tile_vectors = 5"), finegrain::error);

    const conv3x3_plan<float> plan(w, s);
    std::vector<float> in(1000), out(1000);
    CHECK_THROWS_WITH_AS(plan.run(tensor4_view<const float>(in.data(), {1, 3, 6, 6}), tensor4_view<float>(out.data(), s.output_dims())),
                         doctest::Contains("input"), finegrain::error);
    CHECK_THROWS_WITH_AS(plan.run(tensor4_view<const float>(in.data(), s.input_dims()), tensor4_view<float>(out.data(), {1, 5, 6, 5})),
                         doctest::Contains("output"), finegrain::error);
}
