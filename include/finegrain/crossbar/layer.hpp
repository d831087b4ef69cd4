// SPDX-License-Identifier: BSD-3-Clause
// crossbar::layer: one FC or conv layer programmed onto as many crossbars as it needs, run MVM
// by MVM on the reference or the fast engine, with event counters; crossbar::network: a list of
// layers.
//
//   auto cfg = finegrain::crossbar::forms(8);
//   finegrain::crossbar::layer fc(cfg, weights /* N x K int32 */);          // FC
//   fc.mvm(x, y);                                   // x: K uint16 < 2^input_bits, y: N int64
//   finegrain::crossbar::layer conv(cfg, conv_shape, weights_oihw, unroll_order::channel_major);
//   conv.forward(input /* NCHW uint16 */, output /* NCHW int64 */);
//   fc.stats();                                     // conversions, cycles run / saved, ...
//
// Conv layers are lowered through im2col: output pixel (y, x) is one MVM over the K = C kh kw
// inputs of its receptive field (zeros outside the image), in the documented unroll order:
//   channel_major           k = (c kh + i) kw + j      (OIHW flattened: a channel's taps are adjacent)
//   kernel_position_major   k = (i kw + j) C + c       (a tap's channels are adjacent)
// The order decides which inputs share a fragment (FORMS polarity, zero-skipping). Row tiles
// of one output are summed digitally (their partial sums are exact integers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "finegrain/core/shape.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/crossbar/counters.hpp"
#include "finegrain/crossbar/fast_engine.hpp"
#include "finegrain/crossbar/mapping.hpp"
#include "finegrain/ref/crossbar.hpp"

namespace finegrain {
namespace crossbar {

enum class engine {
    automatic,  ///< fast when it can run the layer (no read noise), else reference
    reference,  ///< ref::crossbar_mvm: every conversion in plain loops
    fast,       ///< fast_engine; throws when it cannot run the layer
};

enum class unroll_order { channel_major, kernel_position_major };

inline const char* to_string(unroll_order o) noexcept
{
    return o == unroll_order::channel_major ? "channel_major" : "kernel_position_major";
}

/// OIHW conv weights as the N x K matrix of `order` (row o = output channel o).
inline std::vector<std::int32_t> conv_weight_matrix(const conv2d_shape& s, const std::int32_t* oihw, unroll_order order)
{
    s.validate();
    const index_t K = s.taps(), taps = s.kernel_h * s.kernel_w;
    std::vector<std::int32_t> m(static_cast<std::size_t>(s.out_channels * K));
    for (index_t o = 0; o < s.out_channels; ++o)
        for (index_t c = 0; c < s.in_channels; ++c)
            for (index_t t = 0; t < taps; ++t) {
                const index_t k = order == unroll_order::channel_major ? c * taps + t : t * s.in_channels + c;
                m[std::size_t(o * K + k)] = oihw[(o * s.in_channels + c) * taps + t];
            }
    return m;
}

/// The K inputs of output pixel (oy, ox) of image `b` in `order`.
inline void im2col_pixel(const conv2d_shape& s, tensor4_view<const std::uint16_t> in, index_t b, index_t oy,
                         index_t ox, unroll_order order, std::uint16_t* col)
{
    const index_t taps = s.kernel_h * s.kernel_w;
    for (index_t c = 0; c < s.in_channels; ++c)
        for (index_t i = 0; i < s.kernel_h; ++i)
            for (index_t j = 0; j < s.kernel_w; ++j) {
                const index_t y = oy * s.stride_h + i - s.pad_h, x = ox * s.stride_w + j - s.pad_w;
                const std::uint16_t v = (y >= 0 && y < s.in_height && x >= 0 && x < s.in_width) ? in(b, c, y, x) : 0;
                const index_t t = i * s.kernel_w + j;
                col[order == unroll_order::channel_major ? c * taps + t : t * s.in_channels + c] = v;
            }
}

class layer {
public:
    /// FC: W is N x K (row n = the weights of output n).
    layer(const crossbar_config& cfg, matrix_view<const std::int32_t> w, engine e = engine::automatic,
          std::string name = "fc", std::uint64_t stream = 0)
        : name_(std::move(name)), weights_(program_weights(cfg, w, stream)), skip_(weights_.config, weights_.geo),
          noise_(cfg.device.seed, stream + 0x5EED)
    {
        choose_engine(e);
        x_.resize(static_cast<std::size_t>(weights_.geo.inputs));
    }

    /// Conv: OIHW weights of `s`, unrolled in `order`.
    layer(const crossbar_config& cfg, const conv2d_shape& s, const std::int32_t* oihw, unroll_order order,
          engine e = engine::automatic, std::string name = "conv", std::uint64_t stream = 0)
        : layer(cfg, s, conv_weight_matrix(s, oihw, order), order, e, std::move(name), stream)
    {
    }

    layer(const layer&) = delete;  // the fast engine points into the programmed weights
    layer& operator=(const layer&) = delete;

    const std::string& name() const noexcept { return name_; }
    const programmed_weights& weights() const noexcept { return weights_; }
    const crossbar_config& config() const noexcept { return weights_.config; }
    const geometry& geo() const noexcept { return weights_.geo; }
    bool is_conv() const noexcept { return conv_; }
    const conv2d_shape& conv_shape() const noexcept { return shape_; }
    /// "reference" or the fast kernel's name.
    const char* engine_name() const noexcept { return fast_ ? fast_->kernel_name() : "reference"; }
    /// MVMs one forward pass of one image takes.
    index_t mvms_per_image() const noexcept { return conv_ ? shape_.out_height() * shape_.out_width() : 1; }

    const counters& stats() const noexcept { return stats_; }
    void reset_stats() noexcept { stats_ = counters{}; }

    /// y (N) = the crossbars' output for x (K values < 2^input_bits); counts the MVM.
    void mvm(const std::uint16_t* x, std::int64_t* y)
    {
        ref::require_crossbar_inputs(config(), x, geo().inputs);
        detail::require(y != nullptr, "y", "nullptr", "must not be null");
        skip_.compute(x);  // once per MVM: the fast engine's cycles and the counters
        if (fast_)
            fast_->mvm(x, skip_, y);
        else
            ref::crossbar_mvm(weights_, x, y, &noise_);
        count_mvm(config(), geo(), skip_, x, stats_);
    }

    /// Counts the MVM of x without computing it (cost studies over whole networks).
    void count_only(const std::uint16_t* x)
    {
        ref::require_crossbar_inputs(config(), x, geo().inputs);
        skip_.compute(x);
        count_mvm(config(), geo(), skip_, x, stats_);
    }

    /// FC over a batch: x is batch x K, y is batch x N.
    void forward(matrix_view<const std::uint16_t> x, matrix_view<std::int64_t> y)
    {
        detail::require(!conv_, "layer", name_, "is a conv layer: use forward(tensor, tensor)");
        detail::require(!x.empty() && x.cols() == geo().inputs, "x.cols", x.cols(), "must equal the layer's inputs");
        detail::require(!y.empty() && y.cols() == geo().outputs, "y.cols", y.cols(), "must equal the layer's outputs");
        detail::require(y.rows() == x.rows(), "y.rows", y.rows(), "must equal x.rows");
        for (index_t b = 0; b < x.rows(); ++b) mvm(x.row(b), y.row(b));
    }

    /// Conv over an NCHW batch: one MVM per output pixel (im2col in the layer's unroll order).
    void forward(tensor4_view<const std::uint16_t> in, tensor4_view<std::int64_t> out)
    {
        detail::require(conv_, "layer", name_, "is an FC layer: use forward(matrix, matrix)");
        detail::require(in.n() == out.n(), "out.n", out.n(), "must equal in.n");
        conv2d_shape s = shape_;
        s.batch = in.n();
        detail::require_tensor_dims(in, s.input_dims(), "in");
        detail::require_tensor_dims(out, s.output_dims(), "out");
        std::vector<std::int64_t> y(static_cast<std::size_t>(geo().outputs));
        for (index_t b = 0; b < in.n(); ++b)
            for (index_t oy = 0; oy < s.out_height(); ++oy)
                for (index_t ox = 0; ox < s.out_width(); ++ox) {
                    im2col_pixel(s, in, b, oy, ox, order_, x_.data());
                    mvm(x_.data(), y.data());
                    for (index_t o = 0; o < geo().outputs; ++o) out(b, o, oy, ox) = y[std::size_t(o)];
                }
    }

    /// The im2col vector of output pixel (oy, ox) of image b (conv layers).
    void pixel_inputs(tensor4_view<const std::uint16_t> in, index_t b, index_t oy, index_t ox, std::uint16_t* col) const
    {
        detail::require(conv_, "layer", name_, "is an FC layer");
        im2col_pixel(shape_, in, b, oy, ox, order_, col);
    }

private:
    layer(const crossbar_config& cfg, const conv2d_shape& s, const std::vector<std::int32_t>& w, unroll_order order,
          engine e, std::string name, std::uint64_t stream)
        : layer(cfg, matrix_view<const std::int32_t>(w.data(), s.out_channels, s.taps()), e, std::move(name), stream)
    {
        conv_ = true;
        shape_ = s;
        order_ = order;
    }

    void choose_engine(engine e)
    {
        const char* why = fast_engine::unsupported_reason(weights_);
        if (e == engine::fast) detail::require(why == nullptr, "engine", "fast", why ? why : "");
        if (e == engine::fast || (e == engine::automatic && why == nullptr))
            fast_ = std::make_unique<fast_engine>(weights_);
    }

    std::string name_;
    programmed_weights weights_;
    skip_stats skip_;  // zero-skip statistics of the current MVM's input
    std::unique_ptr<fast_engine> fast_;
    rng noise_;
    counters stats_;
    bool conv_ = false;
    conv2d_shape shape_{};
    unroll_order order_ = unroll_order::channel_major;
    std::vector<std::uint16_t> x_;
};

/// A network: layers in order (each with its own crossbars).
struct network {
    std::string name;
    std::vector<std::unique_ptr<layer>> layers;
};

} // namespace crossbar
} // namespace finegrain
