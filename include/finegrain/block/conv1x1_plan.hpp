// SPDX-License-Identifier: BSD-3-Clause
// block::conv1x1_plan<float>: a 1x1 convolution (stride 1, no padding) over NCHW activations
// with block-sparse weights W (out_channels x in_channels, rows = output channels).
// Per image out[o][p] = act(bias[o] + sum_c W[o][c] * in[c][p]): the block SpMM with the
// pixels as the vector dimension and a block of output channels as the register tile.
//
//   auto w = finegrain::block::pack(pruned /* Cout x Cin */, {4, 1});
//   finegrain::block::conv1x1_plan<float> plan(w, shape, opt);
//   plan.run(input, output);                     // NCHW in and out; no allocation
#pragma once

#include <cstring>
#include <string>

#include "finegrain/block/format.hpp"
#include "finegrain/block/spmm_engine.hpp"
#include "finegrain/block/spmm_plan.hpp"
#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"

namespace finegrain {
namespace block {

template <class T>
class conv1x1_plan;

template <>
class conv1x1_plan<float> {
public:
    conv1x1_plan(const bsr_matrix& w, const conv2d_shape& shape, const spmm_options& opt = {})
        : shape_(validated(w, shape)), pixels_(shape.in_height * shape.in_width),
          engine_(w.rows(), w.shape(), w.row_ptr(), w.col_idx(), w.values(), pixels_, opt, shape.in_channels),
          in_scratch_(shape.in_channels * pixels_), out_scratch_(shape.out_channels * pixels_)
    {
        name_ = engine_.name(format_name(w.shape()) + "_conv1x1");
        block_c_ = w.shape().c;
    }

    const conv2d_shape& shape() const noexcept { return shape_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return engine_.arch(); }
    std::size_t bytes() const noexcept { return engine_.bytes() + in_scratch_.bytes() + out_scratch_.bytes(); }

    /// out = act(conv1x1(in) + bias). Strided (padded-row) tensors are gathered through plan
    /// scratch. One call at a time per plan; in and out must not overlap.
    void run(tensor4_view<const float> in, tensor4_view<float> out) const
    {
        detail::require_tensor_dims(in, shape_.input_dims(), "input");
        detail::require_tensor_dims(out, shape_.output_dims(), "output");
        const index_t p = pixels_, wdt = shape_.in_width;
        // Dense planes (row stride = width) are read in place: X rows are channel planes.
        const bool in_place_in = in.stride_h() == wdt && (p > 1 || in.stride_c() == 1);
        const bool in_place_out = out.stride_h() == wdt && (p > 1 || out.stride_c() == 1);
        for (index_t b = 0; b < shape_.batch; ++b) {
            const float* x = in.plane(b, 0);
            index_t ldx = in.stride_c();
            if (!in_place_in) {
                for (index_t ch = 0; ch < shape_.in_channels; ++ch)
                    for (index_t y = 0; y < shape_.in_height; ++y)
                        std::memcpy(in_scratch_.data() + ch * p + y * wdt, in.plane(b, ch) + y * in.stride_h(),
                                    sizeof(float) * std::size_t(wdt));
                x = in_scratch_.data();
                ldx = p;
            }
            float* y = in_place_out ? out.plane(b, 0) : out_scratch_.data();
            const index_t ldy = in_place_out ? out.stride_c() : p;
            engine_.run(x, block_c_ * ldx, ldx, shape_.in_channels, y, ldy);
            if (!in_place_out)
                for (index_t o = 0; o < shape_.out_channels; ++o)
                    for (index_t r = 0; r < shape_.in_height; ++r)
                        std::memcpy(out.plane(b, o) + r * out.stride_h(), y + o * p + r * wdt,
                                    sizeof(float) * std::size_t(wdt));
        }
    }

private:
    static conv2d_shape validated(const bsr_matrix& w, const conv2d_shape& s)
    {
        s.validate();
        detail::require(s.kernel_h == 1 && s.kernel_w == 1, "shape.kernel_h", s.kernel_h, "must be 1 (1x1 conv)");
        detail::require(s.stride_h == 1 && s.stride_w == 1, "shape.stride_h", s.stride_h, "must be 1");
        detail::require(s.pad_h == 0 && s.pad_w == 0, "shape.pad_h", s.pad_h, "must be 0");
        detail::require(w.rows() == s.out_channels, "w.rows", w.rows(), "must equal shape.out_channels");
        detail::require(w.cols() == s.in_channels, "w.cols", w.cols(), "must equal shape.in_channels");
        return s;
    }

    conv2d_shape shape_;
    index_t pixels_ = 0;
    spmm_engine engine_;
    mutable aligned_buffer<float> in_scratch_, out_scratch_;
    index_t block_c_ = 1;
    std::string name_;
};

} // namespace block
} // namespace finegrain
