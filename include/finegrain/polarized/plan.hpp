// SPDX-License-Identifier: BSD-3-Clause
// Plans for polarized weights: fp32 and integer GEMV/GEMM, conv through im2col in either
// unroll order, and the per-fragment partial sums a crossbar's ADCs see.
//
//   polarized::gemm_plan<float>        y = act(W x + bias), any batch. Negation is exact, so the
//                                      plan folds each fragment's sign into its magnitudes and
//                                      runs the dense GEMM/GEMV microkernels (fp32 gains nothing
//                                      from splitting magnitude and sign on a CPU).
//   polarized::conv2d_plan<float>      the same for a conv layer (weights rolled back to OIHW).
//   polarized::int_gemm_plan<X>        exact int32 y = W x, uint8/uint16 inputs, batch 1..64:
//                                      B <= 7: sign-folded int8 weights on the dense int8 kernel
//                                      (the fastest exact form on a CPU: no sign step); B = 8 with
//                                      uint8 inputs: offset codes (255 - |w| in negative fragments)
//                                      on the dense row loop, the signs applied once per call as
//                                      -255 * sum_f n X_f (batch 1) or per weight chunk (batch > 1);
//                                      other B >= 8: magnitudes, each group's int32 sum signed per
//                                      fragment (zeroskip/int_gemm_plan.hpp, rows_kernels).
//   polarized::int_conv2d_plan<X>      integer conv: im2col in the matrix's unroll order, then
//                                      int_gemm over blocks of up to 64 output pixels.
//   polarized::partial_sums_plan<T, X> p[f][o] = sum_{k in fragment f} |w|(o,k) x[k], batch 1.
// Every run() allocates nothing and validates shapes (finegrain::error naming the argument).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/dense/conv2d_plan.hpp"
#include "finegrain/dense/gemm_plan.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/zeroskip/gemm_plan.hpp"
#include "finegrain/zeroskip/int_gemm_plan.hpp"

namespace finegrain {
namespace polarized {
namespace detail {

/// "f32_gemv_relu_4xv__avx2" -> "f32_gemv_polarized_relu_4xv__avx2".
inline std::string polarized_name(const char* dense_name)
{
    std::string s = dense_name;
    const std::size_t op = s.find("_gem");
    const std::size_t op_end = op == std::string::npos ? op : s.find('_', op + 1);
    return op_end == std::string::npos ? s : s.insert(op_end, "_polarized");
}

inline void require_geometry(const conv_geometry& g, index_t outputs, const conv2d_shape& s)
{
    s.validate();
    finegrain::detail::require(outputs == s.out_channels, "weights.outputs", outputs, "must equal shape.out_channels");
    finegrain::detail::require(g == conv_geometry::of(s), "weights.geometry", g.taps(),
                               "must be the shape's in_channels x kernel_h x kernel_w");
}

} // namespace detail

template <class T>
class gemm_plan;

/// fp32: y (N x n) = act(W x + bias) for x (K x n); W's fragment signs folded at plan time.
template <>
class gemm_plan<float> {
public:
    gemm_plan(const polarized_matrix<float>& w, index_t n, const dense::gemm_options& opt = {})
        : dense_(folded(w, n, opt)), name_(detail::polarized_name(dense_.kernel_name()))
    {
    }
    const gemm_shape& shape() const noexcept { return dense_.shape(); }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return dense_.arch(); }
    void run(matrix_view<const float> x, matrix_view<float> y) const { dense_.run(x, y); }
    void run_unchecked(const float* x, index_t ldx, float* y, index_t ldy) const { dense_.run_unchecked(x, ldx, y, ldy); }

private:
    // The dense plan of the sign-folded weights (it packs its own copy: the folded matrix is
    // not kept).
    static dense::gemm_plan<float> folded(const polarized_matrix<float>& w, index_t n, const dense::gemm_options& opt)
    {
        const auto values = w.to_dense();
        return dense::gemm_plan<float>(matrix_view<const float>(values.data(), w.outputs(), w.inputs()), n, opt);
    }
    dense::gemm_plan<float> dense_;
    std::string name_;
};

template <class T>
class conv2d_plan;

/// fp32 conv of a polarized layer (either unroll order): out = act(conv(in) + bias), NCHW.
template <>
class conv2d_plan<float> {
public:
    conv2d_plan(const polarized_matrix<float>& w, const conv2d_shape& shape, const dense::conv2d_options& opt = {})
        : oihw_(rolled(w, shape)),
          dense_(tensor4_view<const float>(oihw_.data(), shape.weight_dims()), shape, opt),
          name_(detail::polarized_name(dense_.kernel_name()))
    {
    }
    const conv2d_shape& shape() const noexcept { return dense_.shape(); }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    void run(tensor4_view<const float> in, tensor4_view<float> out) const { dense_.run(in, out); }

private:
    static aligned_buffer<float> rolled(const polarized_matrix<float>& w, const conv2d_shape& s)
    {
        detail::require_geometry(w.geometry(), w.outputs(), s);
        aligned_buffer<float> b(s.weight_dims().size());
        w.to_oihw(tensor4_view<float>(b.data(), s.weight_dims()));
        return b;
    }
    aligned_buffer<float> oihw_;
    dense::conv2d_plan<float> dense_;
    std::string name_;
};

/// Integer: y (N x batch, int32) = sum_f sign(o,f) sum_{k in f} q(o,k) x[k][s], exact, for
/// uint8/uint16 inputs and polarized_matrix<std::uint8_t / std::uint16_t> magnitudes.
template <class X>
class int_gemm_plan {
public:
    template <class U>
    int_gemm_plan(const polarized_matrix<U>& w, index_t batch, executor* pool = nullptr)
        : e_(w, batch, options(pool), zeroskip::detail::int_mode::gemm)
    {
    }
    index_t outputs() const noexcept { return e_.outputs(); }
    index_t inputs() const noexcept { return e_.inputs(); }
    index_t batch() const noexcept { return e_.batch(); }
    const char* kernel_name() const noexcept { return e_.kernel_name(); }
    simd::arch_id arch() const noexcept { return e_.arch(); }

    void run(matrix_view<const X> x, matrix_view<std::int32_t> y) const
    {
        zeroskip::detail::require_io(x, y, inputs(), outputs(), batch());
        e_.run(x.data(), x.row_stride(), y.data(), y.row_stride());
    }
    /// Up to batch() columns: x is K x nb (row stride ldx), y is N x nb (row stride ldy).
    void run_unchecked(const X* x, index_t ldx, std::int32_t* y, index_t ldy, index_t nb = 0) const
    {
        e_.run(x, ldx, y, ldy, nb);
    }

private:
    static zeroskip::gemm_options options(executor* pool)
    {
        zeroskip::gemm_options o;
        o.pool = pool;
        o.skip_zeros = false;
        return o;
    }
    zeroskip::detail::int_engine<X> e_;
};

/// Integer conv of a polarized layer: out (NCHW int32) = conv(in (NCHW X), sign * q), exact.
template <class X>
class int_conv2d_plan {
public:
    static constexpr index_t pixel_block = 64;

    template <class U>
    int_conv2d_plan(const polarized_matrix<U>& w, const conv2d_shape& shape, executor* pool = nullptr)
        : shape_(checked(w, shape)), order_(w.order()), gemm_(w, pixel_block, pool),
          patches_(finegrain::detail::checked_mul(shape.taps(), shape.out_height() * shape.out_width(), "im2col")),
          name_(std::string("im2col+") + gemm_.kernel_name())
    {
    }
    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }

    void run(tensor4_view<const X> in, tensor4_view<std::int32_t> out) const
    {
        finegrain::detail::require_tensor_dims(in, shape_.input_dims(), "input");
        finegrain::detail::require_tensor_dims(out, shape_.output_dims(), "output");
        finegrain::detail::require(out.stride_h() == out.w() && out.stride_c() == out.h() * out.w(), "output", "strided",
                                   "planes must be contiguous");
        const index_t p = shape_.out_height() * shape_.out_width();
        for (index_t b = 0; b < shape_.batch; ++b) {
            im2col(in, b);
            for (index_t p0 = 0; p0 < p; p0 += pixel_block)
                gemm_.run_unchecked(patches_.data() + p0, p, out.plane(b, 0) + p0, out.stride_c(),
                                    std::min(pixel_block, p - p0));
        }
    }

private:
    template <class U>
    static const conv2d_shape& checked(const polarized_matrix<U>& w, const conv2d_shape& s)
    {
        detail::require_geometry(w.geometry(), w.outputs(), s);
        return s;
    }
    // patches[k][y*OW + x] = in[b][c][y*sh + i - ph][x*sw + j - pw] (0 outside), k in the unroll order.
    void im2col(const tensor4_view<const X>& in, index_t b) const
    {
        const conv2d_shape& s = shape_;
        const conv_geometry g = conv_geometry::of(s);
        const index_t oh = s.out_height(), ow = s.out_width();
        for (index_t c = 0; c < s.in_channels; ++c)
            for (index_t i = 0; i < s.kernel_h; ++i)
                for (index_t j = 0; j < s.kernel_w; ++j) {
                    X* row = patches_.data() + g.index(order_, c, i, j) * oh * ow;
                    for (index_t y = 0; y < oh; ++y) {
                        const index_t iy = y * s.stride_h + i - s.pad_h;
                        for (index_t x = 0; x < ow; ++x) {
                            const index_t ix = x * s.stride_w + j - s.pad_w;
                            const bool inside = iy >= 0 && iy < s.in_height && ix >= 0 && ix < s.in_width;
                            row[y * ow + x] = inside ? in(b, c, iy, ix) : X(0);
                        }
                    }
                }
    }

    conv2d_shape shape_;
    unroll_order order_;
    int_gemm_plan<X> gemm_;
    mutable aligned_buffer<X> patches_;
    std::string name_;
};

/// What a crossbar's ADCs see, batch 1: p[f*N + o] = sum_{k in fragment f} |w|(o,k) * x[k]
/// (magnitudes only: no sign, no scale). T = float (X = float, P = float) or std::uint8_t /
/// std::uint16_t magnitudes (X = std::uint8_t / std::uint16_t inputs, P = std::uint32_t, exact;
/// the plan rejects m * max(x) * max(q) >= 2^32). Zero inputs are skipped.
template <class T, class X = float>
class partial_sums_plan {
    static constexpr bool is_float = std::is_same<T, float>::value;
    static_assert(is_float == std::is_same<X, float>::value, "float magnitudes take float inputs, integer ones uint8/uint16");
    using engine = std::conditional_t<is_float, zeroskip::detail::f32_engine, zeroskip::detail::int_engine<std::conditional_t<is_float, std::uint8_t, X>>>;

public:
    using sum_type = std::conditional_t<is_float, float, std::uint32_t>;

    explicit partial_sums_plan(const polarized_matrix<T>& w, executor* pool = nullptr) : e_(make(w, pool)) {}

    index_t outputs() const noexcept { return e_.outputs(); }
    index_t inputs() const noexcept { return e_.inputs(); }
    index_t fragments() const noexcept { return e_.fragments(); }
    const char* kernel_name() const noexcept { return e_.kernel_name(); }
    simd::arch_id arch() const noexcept { return e_.arch(); }

    /// x: K inputs; p: fragments() x outputs() sums, row f = fragment f.
    void run(const X* x, sum_type* p) const
    {
        finegrain::detail::require(x != nullptr && p != nullptr, "x", "nullptr", "x and p must not be null");
        if constexpr (is_float)
            e_.run(x, 1, p, outputs());
        else
            e_.run(x, 1, reinterpret_cast<std::int32_t*>(p), outputs());
    }

private:
    static engine make(const polarized_matrix<T>& w, executor* pool)
    {
        zeroskip::gemm_options o;
        o.pool = pool;
        if constexpr (is_float)
            return engine(w, 1, o, true);
        else
            return engine(w, 1, o, zeroskip::detail::int_mode::partial_sums);
    }
    engine e_;
};

} // namespace polarized
} // namespace finegrain
