// SPDX-License-Identifier: BSD-3-Clause
// The dense benchmark problems and their implementations, shared by dense_bench (Google
// Benchmark) and compare (round-robin ratios). Include it only from a bench executable's own
// TUs: it makes finegrain plans, which need the binary's runtime-dispatch definitions.
//
// Families and implementations (a baseline is present when its library was found):
//   dense  conv2d on a real layer: finegrain_conv (dense::conv2d_plan, im2col + GEMM, im2col
//          timed) | dnnl_conv (oneDNN direct conv, formats `any`, reorders outside timing)
//   gemm   the conv's im2col GEMM, M = Cout, N = OH*OW, K = Cin*k*k, row-major:
//          finegrain (dense::gemm_plan, A packed at plan time) | dnnl_matmul | openblas (sgemm)
//   fc     Y (out x batch) = W (out x in) X: finegrain (gemm_plan; batch 1 runs its GEMV) |
//          dnnl_ip (inner_product, weights reordered once) | openblas (sgemv, sgemm for batch > 1)
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "finegrain/finegrain.hpp"
#include "support/baselines.hpp"
#include "support/context.hpp"
#include "support/data.hpp"
#include "support/shapes.hpp"

namespace finegrain {
namespace bench {

enum class family { dense, gemm, fc };

inline const char* family_name(family f)
{
    switch (f) {
    case family::dense: return "dense";
    case family::gemm: return "gemm";
    default: return "fc";
    }
}

/// One layer of one family.
struct problem_spec {
    family fam = family::gemm;
    conv_layer conv;  // dense and gemm
    fc_layer fc;      // fc

    const std::string& layer() const { return fam == family::fc ? fc.name : conv.name; }
    gemm_shape gemm() const { return fam == family::fc ? fc.gemm() : conv.gemm(); }
    /// Dense FLOPs (2*M*N*K); useful = dense-equivalent for every dense implementation.
    double flops() const { return gemm().flops(); }
};

inline problem_spec conv_spec(family f, const conv_layer& l)
{
    problem_spec s;
    s.fam = f;
    s.conv = l;
    return s;
}

inline problem_spec fc_spec(const fc_layer& l)
{
    problem_spec s;
    s.fam = family::fc;
    s.fc = l;
    return s;
}

inline std::vector<problem_spec> specs_of(family f, const std::vector<conv_layer>& convs, const std::vector<fc_layer>& fcs)
{
    std::vector<problem_spec> out;
    if (f == family::fc) {
        for (const fc_layer& l : fcs) out.push_back(fc_spec(l));
    } else {
        for (const conv_layer& l : convs) out.push_back(conv_spec(f, l));
    }
    return out;
}

/// Tiny layers for the `smoke` benchmarks (CI): every family and implementation in milliseconds.
inline std::vector<problem_spec> smoke_specs()
{
    const conv_layer tiny{"tiny", 8, 16, 12, 12, 3, 1, 1};
    return {conv_spec(family::dense, tiny), conv_spec(family::gemm, tiny), fc_spec(fc_layer{"tiny_b1", 72, 24, 1}),
            fc_spec(fc_layer{"tiny_b4", 72, 24, 4})};
}

/// The implementations of a family available in this build; finegrain's first.
inline std::vector<std::string> impls_of(family f)
{
    std::vector<std::string> v;
    switch (f) {
    case family::dense:
        v.push_back("finegrain_conv");
#if FINEGRAIN_BENCH_HAVE_DNNL
        v.push_back("dnnl_conv");
#endif
        break;
    case family::gemm:
        v.push_back("finegrain");
#if FINEGRAIN_BENCH_HAVE_DNNL
        v.push_back("dnnl_matmul");
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
        v.push_back("openblas");
#endif
        break;
    case family::fc:
        v.push_back("finegrain");
#if FINEGRAIN_BENCH_HAVE_DNNL
        v.push_back("dnnl_ip");
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
        v.push_back("openblas");
#endif
        break;
    }
    return v;
}

/// A problem's data, generated once from a seed derived from the layer name.
///   dense: a = weights OIHW, b = input NCHW            output NCHW
///   gemm:  a = A (m x k),    b = B (k x n)             output C (m x n)
///   fc:    a = W (out x in), b = X^T (in x batch), x = X (batch x in)   output out x batch
struct problem {
    problem_spec spec;
    buffer a, b, x;
    std::vector<spot> spots;  // double-precision reference values
    double tolerance = 0;
    index_t output_size = 0;
    output_registry outputs;  // cross-check between implementations

    explicit problem(const problem_spec& s) : spec(s)
    {
        const std::uint64_t seed = std::hash<std::string>{}(std::string(family_name(s.fam)) + "/" + s.layer());
        const gemm_shape g = s.gemm();
        tolerance = fp32_tolerance(g.k);
        output_size = g.m * g.n;
        a = random_buffer(g.m * g.k, seed);
        if (s.fam == family::dense) {
            const conv2d_shape cs = s.conv.shape();
            b = random_buffer(cs.input_dims().size(), seed + 1);
            spots = conv_spots(cs, b.data(), a.data(), 256, seed + 2);
        } else if (s.fam == family::gemm) {
            b = random_buffer(g.k * g.n, seed + 1);
            spots = gemm_spots(g, a.data(), b.data(), 256, seed + 2);
        } else {
            x = random_buffer(g.n * g.k, seed + 1);
            b = buffer(g.k * g.n);
            for (index_t r = 0; r < g.n; ++r)
                for (index_t c = 0; c < g.k; ++c) b[c * g.n + r] = x[r * g.k + c];
            spots = gemm_spots(g, a.data(), b.data(), 256, seed + 2);
        }
    }
};

/// One implementation set up on one problem at one thread count.
class bench_case {
public:
    virtual ~bench_case() = default;
    /// Before each timing loop: (re)applies the library's thread count.
    virtual void prepare() {}
    /// The timed call.
    virtual void run() = 0;
    /// The last run's output in the problem's canonical layout (may convert; not timed).
    virtual const float* output() = 0;
    /// Kernel or primitive implementation that runs, e.g. "f32_gemm_6x16__avx2", "brg:avx2".
    const std::string& label() const { return label_; }

protected:
    std::string label_;
};

namespace detail_cases {

// finegrain: serial at 1 thread, a finegrain::thread_pool(t) as the plan's executor otherwise.
class finegrain_base : public bench_case {
protected:
    explicit finegrain_base(int threads) : pool_(threads > 1 ? new thread_pool(std::size_t(threads)) : nullptr) {}
    executor* pool() const { return pool_.get(); }

private:
    std::unique_ptr<thread_pool> pool_;
};

class finegrain_conv final : public finegrain_base {
public:
    finegrain_conv(const problem& p, int threads)
        : finegrain_base(threads), shape_(p.spec.conv.shape()), out_(p.output_size),
          plan_(tensor4_view<const float>(p.a.data(), shape_.weight_dims()), shape_, options(pool())),
          in_view_(p.b.data(), shape_.input_dims()), out_view_(out_.data(), shape_.output_dims())
    {
        label_ = plan_.kernel_name();
    }
    void run() override { plan_.run(in_view_, out_view_); }
    const float* output() override { return out_.data(); }

private:
    static dense::conv2d_options options(executor* pool)
    {
        dense::conv2d_options o;
        o.pool = pool;
        return o;
    }
    conv2d_shape shape_;
    buffer out_;
    dense::conv2d_plan<float> plan_;
    tensor4_view<const float> in_view_;
    tensor4_view<float> out_view_;
};

// C = A B for gemm, Y = W X^T for fc (the same product).
class finegrain_gemm final : public finegrain_base {
public:
    finegrain_gemm(const problem& p, int threads)
        : finegrain_base(threads), g_(p.spec.gemm()), out_(p.output_size),
          plan_(matrix_view<const float>(p.a.data(), g_.m, g_.k), g_.n, options(pool())),
          b_view_(p.b.data(), g_.k, g_.n), c_view_(out_.data(), g_.m, g_.n)
    {
        label_ = plan_.kernel_name();
    }
    void run() override { plan_.run(b_view_, c_view_); }
    const float* output() override { return out_.data(); }

private:
    static dense::gemm_options options(executor* pool)
    {
        dense::gemm_options o;
        o.pool = pool;
        return o;
    }
    gemm_shape g_;
    buffer out_;
    dense::gemm_plan<float> plan_;
    matrix_view<const float> b_view_;
    matrix_view<float> c_view_;
};

#if FINEGRAIN_BENCH_HAVE_DNNL
inline void dnnl_threads(int threads)
{
    if (!dnnl_baseline::set_threads(threads))
        throw std::runtime_error("cannot set oneDNN's thread count to " + std::to_string(threads) +
                                 " (not an OpenMP-runtime oneDNN)");
}

class dnnl_conv final : public bench_case {
public:
    dnnl_conv(const problem& p, int threads) : threads_(threads), out_(p.output_size)
    {
        dnnl_threads(threads);  // before the primitive is made: oneDNN partitions work then
        prim_.reset(new dnnl_baseline::conv(p.spec.conv.shape(), p.a.data(), p.b.data()));
        label_ = prim_->impl();
    }
    void prepare() override { dnnl_threads(threads_); }
    void run() override { prim_->run(); }
    const float* output() override
    {
        prim_->output_nchw(out_.data());
        return out_.data();
    }

private:
    int threads_;
    buffer out_;
    std::unique_ptr<dnnl_baseline::conv> prim_;
};

class dnnl_matmul final : public bench_case {
public:
    dnnl_matmul(const problem& p, int threads) : threads_(threads)
    {
        dnnl_threads(threads);
        prim_.reset(new dnnl_baseline::matmul(p.spec.gemm(), p.a.data(), p.b.data()));
        label_ = prim_->impl();
    }
    void prepare() override { dnnl_threads(threads_); }
    void run() override { prim_->run(); }
    const float* output() override { return prim_->c(); }

private:
    int threads_;
    std::unique_ptr<dnnl_baseline::matmul> prim_;
};

class dnnl_ip final : public bench_case {
public:
    dnnl_ip(const problem& p, int threads) : threads_(threads), out_(p.output_size)
    {
        dnnl_threads(threads);
        const fc_layer& l = p.spec.fc;
        prim_.reset(new dnnl_baseline::inner_product(l.in_features, l.out_features, l.batch, p.a.data(), p.x.data()));
        label_ = prim_->impl();
    }
    void prepare() override { dnnl_threads(threads_); }
    void run() override { prim_->run(); }
    const float* output() override
    {
        prim_->output_out_by_batch(out_.data());
        return out_.data();
    }

private:
    int threads_;
    buffer out_;
    std::unique_ptr<dnnl_baseline::inner_product> prim_;
};
#endif

#if FINEGRAIN_BENCH_HAVE_OPENBLAS
// sgemm, or sgemv for an fc layer at batch 1.
class openblas final : public bench_case {
public:
    openblas(const problem& p, int threads)
        : threads_(threads), g_(p.spec.gemm()), a_(p.a.data()), b_(p.b.data()), out_(p.output_size),
          gemv_(p.spec.fam == family::fc && g_.n == 1)
    {
        openblas_baseline::set_threads(threads);
        label_ = std::string(gemv_ ? "sgemv:" : "sgemm:") + openblas_baseline::core_name();
    }
    void prepare() override { openblas_baseline::set_threads(threads_); }
    void run() override
    {
        if (gemv_)
            openblas_baseline::sgemv(g_.m, g_.k, a_, b_, out_.data());
        else
            openblas_baseline::sgemm(g_, a_, b_, out_.data());
    }
    const float* output() override { return out_.data(); }

private:
    int threads_;
    gemm_shape g_;
    const float *a_, *b_;
    buffer out_;
    bool gemv_;
};
#endif

} // namespace detail_cases

/// Sets up `impl` (one of impls_of(p.spec.fam)) on `p` at `threads`. Throws on an unknown
/// implementation or when a library cannot run at that thread count.
inline std::unique_ptr<bench_case> make_case(const problem& p, const std::string& impl, int threads)
{
    using namespace detail_cases;
    const family f = p.spec.fam;
    if (f == family::dense && impl == "finegrain_conv") return std::unique_ptr<bench_case>(new finegrain_conv(p, threads));
    if (f != family::dense && impl == "finegrain") return std::unique_ptr<bench_case>(new finegrain_gemm(p, threads));
#if FINEGRAIN_BENCH_HAVE_DNNL
    if (f == family::dense && impl == "dnnl_conv") return std::unique_ptr<bench_case>(new dnnl_conv(p, threads));
    if (f == family::gemm && impl == "dnnl_matmul") return std::unique_ptr<bench_case>(new dnnl_matmul(p, threads));
    if (f == family::fc && impl == "dnnl_ip") return std::unique_ptr<bench_case>(new dnnl_ip(p, threads));
#endif
#if FINEGRAIN_BENCH_HAVE_OPENBLAS
    if (f != family::dense && impl == "openblas") return std::unique_ptr<bench_case>(new openblas(p, threads));
#endif
    throw std::runtime_error(std::string("unknown implementation '") + impl + "' for family " + family_name(f));
}

/// Runs the case once (untimed) and checks its output against the problem's reference values
/// and against the first implementation checked on the same problem.
inline check_result check_case(problem& p, bench_case& c, const std::string& who)
{
    c.prepare();
    c.run();
    return p.outputs.check(who, c.output(), p.output_size, p.spots, p.tolerance);
}

/// Records which arch and GEMM kernel finegrain plans pick in this binary (runtime tier).
inline void record_dispatch()
{
    const float a[4] = {0, 0, 0, 0};
    const dense::gemm_plan<float> plan(matrix_view<const float>(a, 2, 2), 32);
    set_dispatch_info(simd::to_string(plan.arch()), plan.kernel_name());
}

} // namespace bench
} // namespace finegrain
