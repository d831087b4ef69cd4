// SPDX-License-Identifier: BSD-3-Clause
// polarized_matrix<T>: weights polarized at fragment size m, stored as magnitudes plus one
// sign bit per fragment (FORMS).
//
//   auto pm = finegrain::polarized::pack(weights /* N x K, rows = outputs */, 8);
//   auto q8 = finegrain::polarized::quantize<std::uint8_t>(pm, 8, scale_mode::per_output);
//   aligned_buffer<float> back = pm.to_dense();          // == weights (up to the sign of zero)
//
// Layout (the canonical one; plans lay weights out again for their kernels):
//   magnitudes  N x K row-major, row o = output o (a crossbar column), T = float (|w|), or
//               std::uint8_t / std::uint16_t holding B-bit unsigned integers (B = 1..8 / 1..16)
//   signs       bit (o*F + f) of the uint64 words is 1 when fragment f of output o is negative,
//               F = ceil(K/m) fragments per output; fragment f covers inputs [f*m, min(K, f*m+m))
//   scales      integer magnitudes only: value = sign * magnitude * scale, with one scale per
//               layer or one per output (per crossbar column)
//   geometry    C_in x kh x kw (1 x 1 for a fully connected layer) and the unroll order that
//               maps (c, i, j) to the input index k (see unroll.hpp)
// Every constructor validates: a mixed-sign fragment, a magnitude >= 2^B, B out of range, a bad
// m or shape throws finegrain::error naming the argument and the value.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/error.hpp"
#include "finegrain/core/index.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/polarized/project.hpp"
#include "finegrain/polarized/unroll.hpp"

namespace finegrain {
namespace polarized {

/// How integer magnitudes map back to real weights (fp32 magnitudes have no scale).
enum class scale_mode { none, per_layer, per_output };

/// What a polarized matrix costs to store, against 32-bit dense weights.
struct storage_report {
    index_t weights = 0;            // N*K
    int magnitude_bits = 0;         // B (32 for fp32 magnitudes)
    std::size_t magnitude_bytes = 0, sign_bytes = 0, scale_bytes = 0;  // as held in memory
    double stored_bits_per_weight = 0;  // bytes held * 8 / weights
    double packed_bits_per_weight = 0;  // B + sign bits + scale bits per weight: a bit-packed layout (a crossbar's cells)
};

template <class T>
class polarized_matrix {
    static_assert(std::is_same<T, float>::value || std::is_same<T, std::uint8_t>::value ||
                      std::is_same<T, std::uint16_t>::value,
                  "magnitudes are float, std::uint8_t or std::uint16_t");

public:
    using value_type = T;
    static constexpr bool is_integer = !std::is_same<T, float>::value;
    /// The widest B this magnitude type holds (32 for float).
    static constexpr int max_bits = is_integer ? int(8 * sizeof(T)) : 32;

    polarized_matrix() = default;

    /// From parts. `magnitudes`: N x K row-major; `negative`: N*F flags (o*F + f), non-zero =
    /// negative fragment; `bits`: B (ignored for float, which must pass scale_mode::none);
    /// `scales`: 1 (per_layer) or N (per_output) finite positive values, null for none.
    polarized_matrix(index_t outputs, conv_geometry geometry, index_t m, unroll_order order, int bits,
                     const T* magnitudes, const std::uint8_t* negative, scale_mode scaling = scale_mode::none,
                     const float* scales = nullptr)
    {
        init(outputs, geometry, m, order, bits, scaling);
        detail_require_ptr(magnitudes, "magnitudes");
        detail_require_ptr(negative, "negative");
        std::memcpy(mag_.data(), magnitudes, sizeof(T) * static_cast<std::size_t>(n_ * k_));
        for (index_t o = 0; o < n_; ++o)
            for (index_t c = 0; c < k_; ++c) check_magnitude(o, c);
        for (index_t i = 0; i < n_ * f_; ++i)
            if (negative[i]) sign_[i >> 6] |= std::uint64_t(1) << (i & 63);
        set_scales(scales);
    }

    index_t outputs() const noexcept { return n_; }
    index_t inputs() const noexcept { return k_; }
    /// The fragment size m (as given; a fragment never extends past K).
    index_t fragment() const noexcept { return m_; }
    index_t fragments_per_output() const noexcept { return f_; }
    /// First input of fragment f, and one past its last.
    index_t fragment_begin(index_t f) const noexcept { return f * m_; }
    index_t fragment_end(index_t f) const noexcept { return k_ - f * m_ <= m_ ? k_ : f * m_ + m_; }
    unroll_order order() const noexcept { return order_; }
    const conv_geometry& geometry() const noexcept { return geometry_; }
    /// B: the magnitudes are < 2^B (32 for float).
    int bits() const noexcept { return bits_; }
    scale_mode scaling() const noexcept { return scaling_; }

    const T* magnitudes() const noexcept { return mag_.data(); }
    T magnitude(index_t o, index_t k) const noexcept { return mag_[o * k_ + k]; }
    bool negative(index_t o, index_t f) const noexcept
    {
        const index_t i = o * f_ + f;
        return (sign_[i >> 6] >> (i & 63)) & 1u;
    }
    /// The sign bits, bit (o*F + f) set for a negative fragment; ceil(N*F/64) words.
    const std::uint64_t* sign_words() const noexcept { return sign_.data(); }
    /// The scale of output o's magnitudes (1 for float magnitudes).
    float scale(index_t o) const noexcept
    {
        return scaling_ == scale_mode::per_output ? scales_[o] : scaling_ == scale_mode::per_layer ? scales_[0] : 1.0f;
    }
    /// The real weight: sign * magnitude * scale.
    float value(index_t o, index_t k) const noexcept
    {
        const float v = static_cast<float>(magnitude(o, k)) * scale(o);
        return negative(o, k / m_) ? -v : v;
    }

    /// The dense N x K matrix (row o = output o, inputs in this matrix's unroll order).
    aligned_buffer<float> to_dense() const
    {
        aligned_buffer<float> d(n_ * k_);
        for (index_t o = 0; o < n_; ++o)
            for (index_t c = 0; c < k_; ++c) d[o * k_ + c] = value(o, c);
        return d;
    }

    /// The dense OIHW tensor of a conv layer (N x C_in x kh x kw).
    void to_oihw(tensor4_view<float> w) const
    {
        finegrain::detail::require(w.n() == n_ && w.c() == geometry_.in_channels && w.h() == geometry_.kernel_h &&
                                       w.w() == geometry_.kernel_w,
                                   "weights", w.n(), "must be outputs x in_channels x kernel_h x kernel_w");
        const aligned_buffer<float> d = to_dense();
        roll_weights(d.data(), order_, w);
    }

    storage_report storage() const noexcept
    {
        storage_report s;
        s.weights = n_ * k_;
        s.magnitude_bits = bits_;
        s.magnitude_bytes = mag_.bytes();
        s.sign_bytes = sign_.bytes();
        s.scale_bytes = scales_.bytes();
        const double w = double(s.weights);
        s.stored_bits_per_weight = 8.0 * double(s.magnitude_bytes + s.sign_bytes + s.scale_bytes) / w;
        s.packed_bits_per_weight = double(bits_) + double(n_ * f_) / w + 32.0 * double(scales_.size()) / w;
        return s;
    }

private:
    template <class U>
    friend polarized_matrix<U> quantize(const polarized_matrix<float>&, int, scale_mode);
    friend polarized_matrix<float> pack(matrix_view<const float>, index_t, conv_geometry, unroll_order);

    static void detail_require_ptr(const void* p, const char* name)
    {
        finegrain::detail::require(p != nullptr, name, "nullptr", "must not be null");
    }

    void init(index_t outputs, conv_geometry geometry, index_t m, unroll_order order, int bits, scale_mode scaling)
    {
        finegrain::detail::require_positive(outputs, "outputs");
        finegrain::detail::require_positive(geometry.in_channels, "geometry.in_channels");
        finegrain::detail::require_positive(geometry.kernel_h, "geometry.kernel_h");
        finegrain::detail::require_positive(geometry.kernel_w, "geometry.kernel_w");
        detail::require_fragment(m);
        if (is_integer) {
            finegrain::detail::require(bits >= 1 && bits <= max_bits, "bits", bits,
                                       max_bits == 8 ? "must be in 1..8 for std::uint8_t magnitudes"
                                                     : "must be in 1..16 for std::uint16_t magnitudes");
            finegrain::detail::require(scaling != scale_mode::none, "scaling", "none",
                                       "integer magnitudes need a per_layer or per_output scale");
        } else {
            bits = 32;
            finegrain::detail::require(scaling == scale_mode::none, "scaling", int(scaling),
                                       "float magnitudes carry no scale (scale_mode::none)");
        }
        const index_t k = finegrain::detail::checked_mul(
            finegrain::detail::checked_mul(geometry.in_channels, geometry.kernel_h, "geometry.taps"), geometry.kernel_w,
            "geometry.taps");
        n_ = outputs;
        k_ = k;
        m_ = m;
        f_ = (k + m - 1) / m;
        order_ = order;
        geometry_ = geometry;
        bits_ = bits;
        scaling_ = scaling;
        mag_ = aligned_buffer<T>(finegrain::detail::checked_mul(n_, k_, "outputs*inputs"));
        sign_ = aligned_buffer<std::uint64_t>((n_ * f_ + 63) / 64);
        scales_ = aligned_buffer<float>(scaling == scale_mode::per_output ? n_ : scaling == scale_mode::per_layer ? 1 : 0);
    }

    void check_magnitude(index_t o, index_t c) const
    {
        const T v = mag_[o * k_ + c];
        bool ok;
        if constexpr (is_integer)
            ok = (std::uint32_t(v) >> bits_) == 0;
        else
            ok = std::isfinite(v) && !std::signbit(v);
        if (!ok) {
            std::ostringstream os;
            os << "magnitude " << +v << " at output " << o << ", input " << c;
            finegrain::detail::throw_invalid("magnitudes", os.str(),
                                             is_integer ? "must be < 2^bits" : "must be finite and >= 0");
        }
    }

    void set_scales(const float* scales)
    {
        if (scales_.empty()) return;
        detail_require_ptr(scales, "scales");
        for (index_t i = 0; i < scales_.size(); ++i) {
            finegrain::detail::require(std::isfinite(scales[i]) && scales[i] > 0, "scales", scales[i],
                                       "must be finite and > 0");
            scales_[i] = scales[i];
        }
    }

    index_t n_ = 0, k_ = 0, m_ = 1, f_ = 0;
    unroll_order order_ = unroll_order::channel_major;
    conv_geometry geometry_{};
    int bits_ = 0;
    scale_mode scaling_ = scale_mode::none;
    aligned_buffer<T> mag_;
    aligned_buffer<std::uint64_t> sign_;
    aligned_buffer<float> scales_;
};

/// Packs W (N x K, rows = outputs, inputs unrolled in `order` for `geometry`) at fragment size
/// m. Throws finegrain::error if a fragment mixes signs (naming the output, its rows and two
/// offending values; project() first), if a weight is not finite, or if m < 1.
inline polarized_matrix<float> pack(matrix_view<const float> w, index_t m, conv_geometry geometry,
                                    unroll_order order = unroll_order::channel_major)
{
    finegrain::detail::require(!w.empty(), "weights", "empty", "must be a matrix");
    finegrain::detail::require(geometry.taps() == w.cols(), "geometry.taps", geometry.taps(), "must equal weights.cols");
    polarized_matrix<float> pm;
    pm.init(w.rows(), geometry, m, order, 32, scale_mode::none);
    for (index_t o = 0; o < pm.n_; ++o)
        for (index_t f = 0; f < pm.f_; ++f) {
            const index_t f0 = pm.fragment_begin(f), f1 = pm.fragment_end(f);
            index_t first_pos = -1, first_neg = -1;
            for (index_t c = f0; c < f1; ++c) {
                const float v = w(o, c);
                if (!std::isfinite(v)) {
                    std::ostringstream os;
                    os << v << " at output " << o << ", input " << c;
                    finegrain::detail::throw_invalid("weights", os.str(), "must be finite");
                }
                if (v > 0 && first_pos < 0) first_pos = c;
                if (v < 0 && first_neg < 0) first_neg = c;
                pm.mag_[o * pm.k_ + c] = std::fabs(v);
            }
            if (first_pos >= 0 && first_neg >= 0) {
                std::ostringstream os;
                os << "fragment of output " << o << ", inputs " << f0 << ".." << f1 - 1 << " (m = " << m << ") holds "
                   << w(o, first_pos) << " at input " << first_pos << " and " << w(o, first_neg) << " at input "
                   << first_neg;
                finegrain::detail::throw_invalid("weights", os.str(), "mixes signs: not polarized (project it first)");
            }
            if (first_neg >= 0) {
                const index_t i = o * pm.f_ + f;
                pm.sign_[i >> 6] |= std::uint64_t(1) << (i & 63);
            }
        }
    return pm;
}

/// A fully connected layer: W is N x K (rows = outputs).
inline polarized_matrix<float> pack(matrix_view<const float> w, index_t m)
{
    finegrain::detail::require(!w.empty(), "weights", "empty", "must be a matrix");
    return pack(w, m, conv_geometry::fully_connected(w.cols()), unroll_order::channel_major);
}

/// A conv layer: OIHW weights, fragments taken along the inputs unrolled in `order`.
inline polarized_matrix<float> pack_conv(tensor4_view<const float> w, index_t m, unroll_order order)
{
    finegrain::detail::require(!w.empty(), "weights", "empty", "must be a tensor");
    const aligned_buffer<float> mat = unroll_weights(w, order);
    const conv_geometry g{w.c(), w.h(), w.w()};
    return pack(matrix_view<const float>(mat.data(), w.n(), g.taps()), m, g, order);
}

/// B-bit unsigned magnitudes for crossbar mapping: q = min(2^B - 1, round(|w| / scale)) with
/// scale = max|w| / (2^B - 1) over the layer (per_layer) or over each output (per_output); a
/// zero maximum gives scale 1 and q = 0. Signs are kept; a fragment may quantize to all zeros.
/// U = std::uint8_t needs B in 1..8, std::uint16_t B in 1..16.
template <class U>
polarized_matrix<U> quantize(const polarized_matrix<float>& w, int bits, scale_mode mode)
{
    finegrain::detail::require(mode != scale_mode::none, "scaling", "none", "must be per_layer or per_output");
    polarized_matrix<U> q;
    q.init(w.outputs(), w.geometry(), w.fragment(), w.order(), bits, mode);
    const index_t n = w.outputs(), k = w.inputs();
    finegrain::detail::require(n > 0, "weights", "empty", "must be packed");
    const double qmax = double((std::uint32_t(1) << bits) - 1u);
    auto row_max = [&](index_t o) {
        float mx = 0;
        for (index_t c = 0; c < k; ++c) mx = w.magnitude(o, c) > mx ? w.magnitude(o, c) : mx;
        return mx;
    };
    float layer_max = 0;
    if (mode == scale_mode::per_layer)
        for (index_t o = 0; o < n; ++o) layer_max = row_max(o) > layer_max ? row_max(o) : layer_max;
    for (index_t o = 0; o < n; ++o) {
        const float mx = mode == scale_mode::per_layer ? layer_max : row_max(o);
        const float scale = mx > 0 ? static_cast<float>(double(mx) / qmax) : 1.0f;
        const float safe = scale > 0 ? scale : 1.0f;  // a denormal maximum could round the scale to 0
        if (mode == scale_mode::per_output || o == 0) q.scales_[mode == scale_mode::per_output ? o : 0] = safe;
        for (index_t c = 0; c < k; ++c) {
            const double v = std::floor(double(w.magnitude(o, c)) / double(safe) + 0.5);
            q.mag_[o * k + c] = static_cast<U>(v > qmax ? qmax : v);
        }
    }
    std::memcpy(q.sign_.data(), w.sign_words(), q.sign_.bytes());
    return q;
}

} // namespace polarized
} // namespace finegrain
