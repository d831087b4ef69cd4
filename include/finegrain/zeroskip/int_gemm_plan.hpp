// SPDX-License-Identifier: BSD-3-Clause
// zeroskip::int_gemm_plan<X>: exact integer y = W x for unsigned 8- or 16-bit inputs X,
// skipping zero inputs, batch 1..64.
//
//   finegrain::zeroskip::int_gemm_plan<std::uint8_t> plan(q8 /* polarized_matrix<uint8_t> */, 1);
//   plan.run(x /* K x batch uint8 */, y /* N x batch int32 */);
//
// Weights: dense int8 (N x K, rows = outputs), or polarized B-bit magnitudes
// (polarized_matrix<std::uint8_t / std::uint16_t>). B <= 7: sign * magnitude fits int8, so the
// plan stores the sign-folded weights as dense int8 and runs the dense int8 kernel (kernel name
// "..._polarized_folded_s8_..."; the same bytes, no sign step; exact). B = 8 with uint8 inputs:
// offset codes, v = |w| or 255 - |w| in negative fragments (w = v - 255 n): batch 1 runs the
// dense kernel on v over all rows and starts y at -255 * sum_f n X_f (X_f: the fragment's input
// sum; rows_kernels::sign_correction, nibble lookups of per-call tables), batch > 1 decodes
// each group's weights per chunk. With VNNI the codes are stored biased, h = v - 128 (an int8),
// and every batch runs the int8 quad kernel on h over all rows after a per-sample start of
// 128 sum_k x_k - 255 sum_f n X_f (sum w x = sum h x + 128 sum x - 255 sum_f n X_f). Other
// B >= 8 cases: magnitudes, and each fragment's sign is applied to each group's int32 sum (a
// group spans at most two fragments, each part with its own sign). uint8 inputs with 8-bit
// weights take int16 products (madd), or, for int8 and biased weights on a CPU with AVX-512
// VNNI, quads of uint8 x int8 products (vpdpbusd; kernel name "..._vnni"; simd::allow_vnni:
// plans that run every row store the weights in quad blocks at batch 1, in 64-column panels
// register-tiled over the samples at batch > 1, kernel name "..._panel6x64__avx512_vnni");
// uint16 inputs or 16-bit magnitudes take int32 products. Results are bit-exact: the plan
// rejects shapes whose worst case K * max(x) * max|w| exceeds int32 (offset codes: sum v x and
// 255 * sum_f n X_f are each <= K * 255 * 255 within the same bound, and y moves monotonically
// between them; biased codes: every step wraps modulo 2^32 and the final sum fits int32).
// The same engine, run with every row and without signs, gives the per-fragment partial sums
// (polarized::partial_sums_plan). run() allocates nothing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "finegrain/core/aligned_buffer.hpp"
#include "finegrain/core/parallel.hpp"
#include "finegrain/core/views.hpp"
#include "finegrain/polarized/format.hpp"
#include "finegrain/simd/dispatch.hpp"
#include "finegrain/zeroskip/options.hpp"
#include "finegrain/zeroskip/row_engine.hpp"
#include "finegrain/zeroskip/rows_kernels.hpp"

namespace finegrain {
namespace zeroskip {
namespace detail {

/// What an integer engine computes.
enum class int_mode { gemm, partial_sums };

/// The integer engine behind int_gemm_plan and the polarized integer plans.
template <class X>
class int_engine {
    static_assert(std::is_same<X, std::uint8_t>::value || std::is_same<X, std::uint16_t>::value,
                  "inputs are std::uint8_t or std::uint16_t");

public:
    int_engine(matrix_view<const std::int8_t> w, index_t batch, const gemm_options& opt)
    {
        init(w.rows(), w.cols(), 0, 8, 128.0, batch, opt, int_mode::gemm, kind::s8,
             opt.skip_zeros ? "gemm_zeroskip_s8" : "gemm_s8");
        for (index_t o = 0; o < n_; ++o)
            for (index_t k = 0; k < k_; ++k) w8_[k * ldw_ + o] = static_cast<std::uint8_t>(w(o, k));
        finish_layout();
    }

    /// Polarized magnitudes of at most this many bits are folded with their signs into int8.
    static constexpr int folded_bits_max = 7;

    template <class U>
    int_engine(const polarized::polarized_matrix<U>& w, index_t batch, const gemm_options& opt, int_mode mode)
    {
        constexpr bool wide_w = std::is_same<U, std::uint16_t>::value;
        const bool folded = mode == int_mode::gemm && w.bits() <= folded_bits_max;
        const std::string op = mode == int_mode::partial_sums ? "partial_sums"
                               : std::string(opt.skip_zeros ? "gemm_zeroskip_polarized" : "gemm_polarized") + (folded ? "_folded_s8" : "");
        // Folded weights carry no fragments: groups run 8 rows across fragment boundaries, as dense.
        init(w.outputs(), w.inputs(), folded ? 0 : w.fragment(), w.bits(), double((std::uint32_t(1) << w.bits()) - 1u),
             batch, opt, mode, folded ? kind::s8 : wide_w ? kind::u16 : kind::u8, op.c_str());
        const index_t m = w.fragment();
        offset_coded_ = mode == int_mode::gemm && !folded && kind_ == kind::u8 && pairs_;
        FINEGRAIN_ASSERT(!biased_ || offset_coded_);
        for (index_t o = 0; o < n_; ++o)
            for (index_t k = 0; k < k_; ++k) {
                if (folded) {  // |w| <= 127: sign * magnitude is an int8, the dense kernel's weights
                    const int v = static_cast<int>(w.magnitude(o, k));
                    w8_[k * ldw_ + o] = static_cast<std::uint8_t>(static_cast<std::int8_t>(w.negative(o, k / m) ? -v : v));
                } else if constexpr (wide_w) {
                    w16_[k * ldw_ + o] = w.magnitude(o, k);
                } else {  // B = 8 (offset codes): |w| or 255 - |w|; biased: minus 128, as int8
                    const bool code = offset_coded_ && w.negative(o, k / m);
                    const unsigned v = code ? 255u - w.magnitude(o, k) : w.magnitude(o, k);
                    w8_[k * ldw_ + o] = static_cast<std::uint8_t>(biased_ ? v ^ 0x80u : v);
                }
            }
        if (mode == int_mode::gemm && !folded && !biased_) {  // biased codes never run signed groups
            signs_ = aligned_buffer<std::uint64_t>(finegrain::detail::checked_mul(frags_, ld_, "signs") / 64);
            for (index_t f = 0; f < frags_; ++f)
                for (index_t o = 0; o < n_; ++o)
                    if (w.negative(o, f)) signs_[(f * ld_ + o) >> 6] |= std::uint64_t(1) << ((f * ld_ + o) & 63);
        }
        if (offset_coded_) pack_sign_nibbles(w);
        finish_layout();
    }

    index_t outputs() const noexcept { return n_; }
    index_t inputs() const noexcept { return k_; }
    index_t batch() const noexcept { return batch_; }
    index_t fragments() const noexcept { return frags_; }
    const char* kernel_name() const noexcept { return name_.c_str(); }
    simd::arch_id arch() const noexcept { return arch_; }
    index_t rows_run() const noexcept { return lists_.entries; }
    std::size_t bytes() const noexcept
    {
        return w8_.bytes() + w16_.bytes() + signs_.bytes() + nibbles_.bytes() + tables_.bytes() + piece_sums_.bytes() + starts_.bytes() + y_.bytes() +
               lists_.rows.bytes() + lists_.values.bytes() + 3 * lists_.end.bytes();
    }

    /// gemm: y[o*ldy + s] = sum_k w[o][k] x[k*ldx + s]. partial_sums (batch 1): y[f*ldy + o] =
    /// sum_{k in fragment f} |w[o][k]| x[k] as uint32 bit patterns.
    /// `batch` (default: the plan's) may be smaller than the plan's batch.
    void run(const X* x, index_t ldx, std::int32_t* y, index_t ldy, index_t batch = 0) const
    {
        const bool sums = mode_ == int_mode::partial_sums;
        const index_t nb = batch > 0 ? batch : batch_;
        FINEGRAIN_ASSERT(nb <= batch_);
        // Offset codes at batch 1: the rows run unsigned across fragment boundaries (as dense), the
        // signs come in through y's starting value.
        // Biased codes (VNNI): every batch, one start per sample.
        const bool corrected = offset_coded_ && (nb == 1 || biased_);
        const index_t frag = corrected ? 0 : frag_;
        if (corrected)
            for (index_t s = 0; s < nb; ++s) starts_[s] = fill_sign_tables(x + s, ldx, tables_.data() + s * steps_ * 64);
        // Signed groups may span two fragments (one sign mask per part): at m = 4 a group still runs
        // 8 rows per accumulator load/store.
        bool listed = false;  // uint8, batch 1, no fragments (dense, folded or offset-coded weights): SIMD listing
        if constexpr (std::is_same<X, std::uint8_t>::value)
            if (nb == 1 && skip_ && frag == 0 && ldx == 1) {
                lists_.group_listed(nonzero_(x, k_, lists_.rows.data(), lists_.values.data()), width_);
                listed = true;
            }
        if constexpr (std::is_same<X, std::uint8_t>::value)
            if (layout_ == layout::quad_panels) {  // every row in order: the inputs as quads, one group (quad_panels reads its end)
                pack_input_quads_(x, ldx, k_, nb, lists_.values.data());
                lists_.all_rows(4 * ((k_ + 3) / 4));
                listed = true;
            }
        if (!listed) lists_.gather(x, ldx, k_, nb, skip_, frag, sums ? ldy_ : 0, ld_, width_, !sums && !corrected && !signs_.empty());
        if (width_ > 1 && layout_ != layout::quad_panels) lists_.pack(width_, nb);
        const index_t rows_out = sums ? frags_ : nb;  // accumulator rows of ld_ columns
        // Per column tile (batch > 1; batch 1: the task's columns): start its accumulators (zero, or
        // the signs' correction), run the groups over it, write its outputs while still in cache.
        parallel_for(pool_, static_cast<std::size_t>(split_.tasks), [&](std::size_t t, std::size_t) {
            const index_t c0 = split_.begin(static_cast<index_t>(t)), c1 = split_.end(static_cast<index_t>(t));
            const index_t tile = nb == 1 ? c1 - c0 : column_tile(nb, int_tile_values);
            for (index_t b = c0; b < c1; b += tile) {
                const index_t e = std::min(c1, b + tile), o1 = std::min(e, n_);
                if (corrected) {
                    for (index_t s = 0; s < nb; ++s) {
                        sign_correction_args a;
                        a.nibbles = nibbles_.data();
                        a.tables = tables_.data() + s * steps_ * 64;
                        a.steps = steps_;
                        a.steps_per_widen = steps_per_widen_;
                        a.start = starts_[s];
                        a.y = y_.data() + s * ldy_;
                        a.col_begin = b;
                        a.col_end = e;
                        sign_correction_(a);
                    }
                } else {
                    for (index_t r = 0; r < rows_out; ++r) std::memset(y_.data() + r * ldy_ + b, 0, sizeof(std::int32_t) * std::size_t(e - b));
                }
                call(b, e, nb, !corrected);
                if (o1 <= b) continue;
                if (sums) {
                    for (index_t f = 0; f < frags_; ++f)
                        std::memcpy(y + f * ldy + b, y_.data() + f * ldy_ + b, sizeof(std::int32_t) * std::size_t(o1 - b));
                } else {
                    write_out_args<std::int32_t> w;
                    w.acc = y_.data();
                    w.ld_acc = ldy_;
                    w.batch = nb;
                    w.col_begin = b;
                    w.col_end = o1;
                    w.out = y;
                    w.ldo = ldy;
                    write_out_(w);
                }
            }
        });
    }

private:
    enum class kind { s8, u8, u16 };

    void init(index_t n, index_t k, index_t fragment, int bits, double wmax, index_t batch, const gemm_options& opt,
              int_mode mode, kind kd, const char* op)
    {
        require_engine_shape(n, k, batch, mode == int_mode::partial_sums);
        const double xmax = double((std::uint32_t(1) << (8 * sizeof(X))) - 1u);
        if (mode == int_mode::gemm)
            finegrain::detail::require(double(k) * xmax * wmax <= double(INT32_MAX), "weights.cols", k,
                                       "K * max input * max |weight| must fit int32 (fewer bits or a smaller K)");
        else
            finegrain::detail::require(double(fragment < k ? fragment : k) * xmax * wmax <= double(UINT32_MAX), "m",
                                       fragment, "m * max input * max magnitude must fit uint32");
        n_ = n;
        k_ = k;
        frag_ = fragment;
        frags_ = fragments_of(k, fragment);
        batch_ = batch;
        pool_ = opt.pool;
        skip_ = opt.skip_zeros;
        mode_ = mode;
        kind_ = kd;
        pairs_ = sizeof(X) == 1 && kd != kind::u16;
        (void)bits;
        width_ = pairs_ ? 2 : 1;
        split_.plan(n, static_cast<index_t>(concurrency_of(pool_)));
        ld_ = split_.padded;
        // Rows one cache line longer than the columns: 4/8/16 KB strides alias in the caches and DRAM banks.
        ldw_ = ld_ + (kd == kind::u16 ? 32 : 64);
        ldy_ = ld_ + 16;
        const index_t wsize = finegrain::detail::checked_mul(k, ldw_, "weights size");
        if (kd == kind::u16)
            w16_ = aligned_buffer<std::uint16_t>(wsize, 0, page_policy::huge);
        else
            w8_ = aligned_buffer<std::uint8_t>(wsize, 0, page_policy::huge);
        y_ = aligned_buffer<std::int32_t>(finegrain::detail::checked_mul(mode == int_mode::gemm ? batch : frags_, ldy_, "accumulators"));
        lists_.reserve(k, frags_, batch);
        index_t lanes = 1;
        arch_ = simd::with_best_arch([&](auto arch) {
            using A = decltype(arch);
            using K = rows_kernels<A>;
            lanes = static_cast<index_t>(simd::lanes_of<std::int32_t, A>());
            pack_pairs_ = &K::pack_pairs;
            // VNNI: int8 weights, and 8-bit offset codes stored biased (gemm mode).
            if (A::id == simd::arch_id::avx512 && pairs_ && (kd == kind::s8 || mode == int_mode::gemm) && simd::vnni_runnable()) {
                width_ = 4;
                biased_ = kd == kind::u8;
                // Batch-1 plans running every row (no skipping): blocks of 16 rows, one stream, no
                // unpacks. Zen 5, fc7 int8 against oneDNN's VNNI inner product, batch 1: from
                // DRAM 0.76-0.88 -> 0.86-1.01, from L3 0.64-0.68 -> 0.89-0.95.
                if (!skip_ && batch == 1) layout_ = layout::quad_blocks;
                // Batched plans running every row: 64-column panels, 6 samples x 64 columns of
                // accumulators in registers instead of a y round trip per 16 rows (Zen 5, fc7
                // int8 from L3, x oneDNN: batch 16 0.82-0.85 -> 0.91-0.97, batch 64 0.85 ->
                // 0.94-0.97; batch 2 and 4 twice as fast; 8-bit codes gain less, see RESULTS).
                if (!skip_ && batch > 1) layout_ = layout::quad_panels;
                pack_pairs_ = &K::pack_quads;
                s8_ = layout_ == layout::quad_blocks ? &K::quad_blocks : layout_ == layout::quad_panels ? &K::quad_panels : &K::quads;
            }
            pack_sign_nibbles_ = &K::pack_sign_nibbles;
            sign_correction_ = &K::sign_correction;
            write_out_ = &K::write_out;
            pack_input_quads_ = &K::pack_input_quads;
            nonzero_ = &K::nonzero;
            if (pairs_) {
                if (width_ == 2) s8_ = &K::pairs;
                u8_ = &K::pairs;
            } else {
                s8_ = &K::wide;
                u8_ = &K::wide;
            }
            u16_ = &K::wide;
        });
        // The register tile: rows per pass x columns, or (quad panels) samples x columns.
        const std::string tile = layout_ == layout::quad_panels ? "panel" + std::to_string(panel_samples) + "x64"
                                              : std::to_string(max_group) + "x" + std::to_string(width_ * lanes);
        name_ = std::string(sizeof(X) == 1 ? "u8" : "u16") + "_" + op + "_" + tile + "__" + simd::to_string(arch_) +
                (width_ == 4 ? "_vnni" : "");
    }

    void finish_layout()
    {
        // Natural rows -> panels of 64 columns (quad_panel_offset, K padded to quads) or blocks of
        // 16 rows (quad_block_offset, K padded to 16); the padding stays zero.
        auto relayout = [&](index_t bytes, auto offset) {
            aligned_buffer<std::uint8_t> packed(bytes, 0, page_policy::huge);
            for (index_t k = 0; k < k_; ++k)
                for (index_t c = 0; c < ld_; ++c) packed[offset(k, c)] = w8_[k * ldw_ + c];
            w8_ = std::move(packed);
        };
        const index_t quads = (k_ + 3) / 4, blocks = (k_ + 15) / 16;
        if (layout_ == layout::quad_panels)
            return relayout(finegrain::detail::checked_mul(quads * 4, ld_, "weights size"),
                            [&](index_t k, index_t c) { return quad_panel_offset(k, c, quads); });
        if (layout_ == layout::quad_blocks)
            return relayout(finegrain::detail::checked_mul(blocks * 16, ldw_, "weights size"),
                            [&](index_t k, index_t c) { return quad_block_offset(k, c, ldw_); });
        if (!pairs_) return;
        aligned_buffer<std::uint8_t> permuted(w8_.size(), 0, page_policy::huge);
        pack_pairs_(k_, ld_, w8_.data(), permuted.data(), ldw_);
        w8_ = std::move(permuted);
    }

    /// Offset codes: inputs are summed in pieces of at most piece_max rows of one fragment, so a
    /// table entry (4 pieces) stays <= 4 * 32 * 255 = 32640 and a step (2 tables) fits uint16.
    static constexpr index_t piece_max = 32;
    index_t pieces_per_fragment() const noexcept { return (frag_ + piece_max - 1) / piece_max; }
    index_t piece_rows() const noexcept { return frag_ < piece_max ? frag_ : piece_max; }

    /// Plan time: per step s and column o, the sign bits of pieces 8s..8s+7 (sign_correction's layout).
    template <class U>
    void pack_sign_nibbles(const polarized::polarized_matrix<U>& w)
    {
        const index_t ppf = pieces_per_fragment(), pieces = frags_ * ppf;
        steps_ = (pieces + 7) / 8;
        steps_per_widen_ = 65535 / (8 * piece_rows() * 255);
        aligned_buffer<std::uint8_t> natural(finegrain::detail::checked_mul(steps_, ld_, "sign nibbles"));
        for (index_t j = 0; j < pieces; ++j)
            for (index_t o = 0; o < n_; ++o)
                if (w.negative(o, j / ppf)) natural[(j / 8) * ld_ + o] |= static_cast<std::uint8_t>(1u << (j % 8));
        nibbles_ = aligned_buffer<std::uint8_t>(natural.size());
        pack_sign_nibbles_(steps_, ld_, natural.data(), nibbles_.data());
        tables_ = aligned_buffer<std::uint8_t>(finegrain::detail::checked_mul(steps_, 64 * (biased_ ? batch_ : 1), "sign tables"));
        piece_sums_ = aligned_buffer<std::uint32_t>(8 * steps_);
        starts_ = aligned_buffer<std::int32_t>(batch_);
    }

    /// Per call and sample: the input sum X_j of every piece and, per 4 pieces, the 16 sums of X
    /// over each subset into `tables` (sign_correction's: low bytes, then high bytes). Returns
    /// y's start before the signs: 128 * sum_k x_k for biased codes, else 0.
    std::int32_t fill_sign_tables(const X* x, index_t ldx, std::uint8_t* tables) const
    {
        std::uint32_t total = 0;
        const index_t ppf = pieces_per_fragment(), rows = piece_rows();
        std::uint32_t* sum = piece_sums_.data();  // 8 * steps_ entries; the padding stays 0
        for (index_t f0 = 0; f0 < k_; f0 += frag_) {
            const index_t f1 = std::min(f0 + frag_, k_);
            for (index_t p = 0; p < ppf; ++p) {
                const index_t k0 = std::min(f0 + p * rows, f1), k1 = std::min(k0 + rows, f1);
                std::uint32_t v = 0;
                for (index_t k = k0; k < k1; ++k) v += x[k * ldx];
                *sum++ = v;
                total += v;
            }
        }
        for (index_t h = 0; h < 2 * steps_; ++h) {
            const std::uint32_t* s4 = piece_sums_.data() + 4 * h;
            std::uint32_t e[16];
            e[0] = 0;
            for (unsigned i = 1; i < 16; ++i) e[i] = e[i & (i - 1)] + s4[__builtin_ctz(i)];
            std::uint8_t* t = tables + 32 * h;
            for (unsigned i = 0; i < 16; ++i) {
                t[i] = static_cast<std::uint8_t>(e[i]);
                t[16 + i] = static_cast<std::uint8_t>(e[i] >> 8);
            }
        }
        return biased_ ? static_cast<std::int32_t>(128u * total) : 0;
    }

    void call(index_t c0, index_t c1, index_t nb, bool with_signs) const
    {
        const bool sums = mode_ == int_mode::partial_sums;
        auto fill = [&](auto& a) {
            a.groups = lists_.view(sums);
            a.x = lists_.values.data();
            a.batch = nb;
            a.ldw = ldw_;
            a.signs = signs_.empty() || !with_signs ? nullptr : signs_.data();
            a.y = y_.data();
            a.ldy = ldy_;
            a.col_begin = c0;
            a.col_end = c1;
        };
        if (kind_ == kind::u16) {
            int_rows_args<std::uint16_t> a;
            fill(a);
            a.w = w16_.data();
            u16_(a);
        } else if (kind_ == kind::u8 && !biased_) {
            int_rows_args<std::uint8_t> a;
            fill(a);
            a.w = w8_.data();
            u8_(a);
        } else {
            int_rows_args<std::int8_t> a;
            fill(a);
            a.w = reinterpret_cast<const std::int8_t*>(w8_.data());
            s8_(a);
        }
    }

    index_t n_ = 0, k_ = 0, frag_ = 0, frags_ = 1, batch_ = 1, ld_ = 0, ldw_ = 0, ldy_ = 0;
    index_t steps_ = 0, steps_per_widen_ = 1;  // offset codes: sign_correction's steps
    executor* pool_ = nullptr;
    bool skip_ = true, pairs_ = false, offset_coded_ = false;
    bool biased_ = false;  // offset codes stored as int8 h = v - 128 (VNNI quads)
    // Weight layout: input-major rows (permuted per chunk for pairs / quads), or with VNNI and no
    // skipping, quad blocks (batch 1, quad_block_offset) or quad panels (batch > 1, quad_panel_offset).
    enum class layout { rows, quad_blocks, quad_panels };
    layout layout_ = layout::rows;
    index_t width_ = 1;  // inputs per packed entry: 1 (wide), 2 (pairs), 4 (VNNI quads)
    int_mode mode_ = int_mode::gemm;
    kind kind_ = kind::s8;
    simd::arch_id arch_ = simd::arch_id::scalar;
    void (*s8_)(const int_rows_args<std::int8_t>&) noexcept = nullptr;
    void (*u8_)(const int_rows_args<std::uint8_t>&) noexcept = nullptr;
    void (*u16_)(const int_rows_args<std::uint16_t>&) noexcept = nullptr;
    void (*pack_pairs_)(index_t, index_t, const std::uint8_t*, std::uint8_t*, index_t) noexcept = nullptr;  // or pack_quads
    void (*pack_sign_nibbles_)(index_t, index_t, const std::uint8_t*, std::uint8_t*) noexcept = nullptr;
    void (*sign_correction_)(const sign_correction_args&) noexcept = nullptr;
    void (*write_out_)(const write_out_args<std::int32_t>&) noexcept = nullptr;
    void (*pack_input_quads_)(const std::uint8_t*, index_t, index_t, index_t, std::int32_t*) noexcept = nullptr;
    index_t (*nonzero_)(const std::uint8_t*, index_t, std::int32_t*, std::int32_t*) noexcept = nullptr;  // uint8 inputs
    column_split split_;
    aligned_buffer<std::uint8_t> w8_;
    aligned_buffer<std::uint16_t> w16_;
    aligned_buffer<std::uint64_t> signs_;
    aligned_buffer<std::uint8_t> nibbles_;
    mutable aligned_buffer<std::uint8_t> tables_;
    mutable aligned_buffer<std::uint32_t> piece_sums_;
    mutable aligned_buffer<std::int32_t> starts_;  // per sample: y's start before the signs
    mutable aligned_buffer<std::int32_t> y_;
    mutable row_lists<std::int32_t> lists_;
    std::string name_;
};

} // namespace detail

template <class X>
class int_gemm_plan {
public:
    /// Dense int8 weights: N x K, row o = output o.
    int_gemm_plan(matrix_view<const std::int8_t> w, index_t batch, const gemm_options& opt = {}) : e_(w, batch, opt) {}
    /// Polarized B-bit magnitudes with one sign per fragment.
    template <class U>
    int_gemm_plan(const polarized::polarized_matrix<U>& w, index_t batch, const gemm_options& opt = {})
        : e_(w, batch, opt, detail::int_mode::gemm)
    {
    }

    index_t outputs() const noexcept { return e_.outputs(); }
    index_t inputs() const noexcept { return e_.inputs(); }
    index_t batch() const noexcept { return e_.batch(); }
    const char* kernel_name() const noexcept { return e_.kernel_name(); }
    simd::arch_id arch() const noexcept { return e_.arch(); }
    std::size_t bytes() const noexcept { return e_.bytes(); }
    index_t rows_run() const noexcept { return e_.rows_run(); }

    /// y (N x batch, int32) = W x for x (K x batch). Throws finegrain::error on a shape mismatch.
    void run(matrix_view<const X> x, matrix_view<std::int32_t> y) const
    {
        detail::require_io(x, y, inputs(), outputs(), batch());
        e_.run(x.data(), x.row_stride(), y.data(), y.row_stride());
    }
    /// Batch 1: x has K values, y has N.
    void run(const X* x, std::int32_t* y) const
    {
        detail::require_batch1_io(batch(), x, y);
        e_.run(x, 1, y, 1);
    }
    void run_unchecked(const X* x, index_t ldx, std::int32_t* y, index_t ldy) const { e_.run(x, ldx, y, ldy); }

private:
    detail::int_engine<X> e_;
};

} // namespace zeroskip
} // namespace finegrain
