// SPDX-License-Identifier: BSD-3-Clause
#include "support/baselines.hpp"

#include <cstring>
#include <stdexcept>

#if FINEGRAIN_BENCH_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#if FINEGRAIN_BENCH_DNNL_OMP
#include <omp.h>
#endif
#endif

#if FINEGRAIN_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace finegrain {
namespace bench {

#if FINEGRAIN_BENCH_HAVE_DNNL
namespace dnnl_baseline {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
dnnl::engine& cpu_engine()
{
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

const char* runtime_name(unsigned r)
{
    switch (r) {
    case DNNL_RUNTIME_SEQ: return "SEQ";
    case DNNL_RUNTIME_OMP: return "OMP";
    case DNNL_RUNTIME_TBB: return "TBB";
    case DNNL_RUNTIME_THREADPOOL: return "THREADPOOL";
    default: return "other";
    }
}

const char* isa_name(dnnl::cpu_isa isa)
{
    switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
    }
}

// Copies `src` (in user layout `from`) into a new memory of descriptor `to`, reordering if needed.
memory reordered(const memory::desc& user_md, const float* src, const memory::desc& to, dnnl::stream& s)
{
    memory user(user_md, cpu_engine(), const_cast<float*>(src));
    if (user_md == to) {
        memory copy(to, cpu_engine());
        std::memcpy(copy.get_data_handle(), src, to.get_size());
        return copy;
    }
    memory m(to, cpu_engine());
    dnnl::reorder(user, m).execute(s, user, m);
    s.wait();
    return m;
}
} // namespace

bool set_threads(int threads)
{
#if FINEGRAIN_BENCH_DNNL_OMP
    omp_set_num_threads(threads);
    return true;
#else
    return threads == 1 && dnnl::version()->cpu_runtime == DNNL_RUNTIME_SEQ;
#endif
}

std::string version()
{
    const dnnl::version_t* v = dnnl::version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
           " (cpu runtime " + runtime_name(v->cpu_runtime) + ", isa " + isa_name(dnnl::get_effective_cpu_isa()) + ")";
}

// ---- conv ---------------------------------------------------------------------------------------
struct conv::state {
    dnnl::stream stream{cpu_engine()};
    dnnl::convolution_forward::primitive_desc pd;
    dnnl::convolution_forward prim;
    memory src, weights, dst;
    memory::dims out_dims;
};

conv::conv(const conv2d_shape& sh, const float* weights_oihw, const float* input_nchw) : s_(new state)
{
    const memory::dims src_dims = {sh.batch, sh.in_channels, sh.in_height, sh.in_width};
    const memory::dims w_dims = {sh.out_channels, sh.in_channels, sh.kernel_h, sh.kernel_w};
    s_->out_dims = {sh.batch, sh.out_channels, sh.out_height(), sh.out_width()};
    const memory::desc src_any(src_dims, dt::f32, tag::any), w_any(w_dims, dt::f32, tag::any),
        dst_any(s_->out_dims, dt::f32, tag::any);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      src_any, w_any, dst_any, {sh.stride_h, sh.stride_w}, {sh.pad_h, sh.pad_w},
                                      {sh.pad_h, sh.pad_w});
    s_->pd = dnnl::convolution_forward::primitive_desc(d, cpu_engine());
    s_->prim = dnnl::convolution_forward(s_->pd);
    s_->src = reordered(memory::desc(src_dims, dt::f32, tag::nchw), input_nchw, s_->pd.src_desc(), s_->stream);
    s_->weights = reordered(memory::desc(w_dims, dt::f32, tag::oihw), weights_oihw, s_->pd.weights_desc(), s_->stream);
    s_->dst = memory(s_->pd.dst_desc(), cpu_engine());
}
conv::~conv() = default;

void conv::run()
{
    s_->prim.execute(s_->stream, {{DNNL_ARG_SRC, s_->src}, {DNNL_ARG_WEIGHTS, s_->weights}, {DNNL_ARG_DST, s_->dst}});
    s_->stream.wait();
}

void conv::output_nchw(float* dst) const
{
    memory user(memory::desc(s_->out_dims, dt::f32, tag::nchw), cpu_engine(), dst);
    dnnl::reorder(s_->dst, user).execute(s_->stream, s_->dst, user);
    s_->stream.wait();
}

std::string conv::impl() const { return s_->pd.impl_info_str(); }

// ---- matmul -------------------------------------------------------------------------------------
struct matmul::state {
    dnnl::stream stream{cpu_engine()};
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul prim;
    memory a, b, c;
};

matmul::matmul(const gemm_shape& sh, const float* a, const float* b) : s_(new state)
{
    const memory::desc a_md({sh.m, sh.k}, dt::f32, tag::ab), b_md({sh.k, sh.n}, dt::f32, tag::ab),
        c_md({sh.m, sh.n}, dt::f32, tag::ab);
    s_->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), cpu_engine());
    s_->prim = dnnl::matmul(s_->pd);
    s_->a = memory(a_md, cpu_engine(), const_cast<float*>(a));
    s_->b = memory(b_md, cpu_engine(), const_cast<float*>(b));
    s_->c = memory(c_md, cpu_engine());
}
matmul::~matmul() = default;

void matmul::run()
{
    s_->prim.execute(s_->stream, {{DNNL_ARG_SRC, s_->a}, {DNNL_ARG_WEIGHTS, s_->b}, {DNNL_ARG_DST, s_->c}});
    s_->stream.wait();
}

const float* matmul::c() const { return static_cast<const float*>(s_->c.get_data_handle()); }
std::string matmul::impl() const { return s_->pd.impl_info_str(); }

// ---- inner product ------------------------------------------------------------------------------
struct inner_product::state {
    dnnl::stream stream{cpu_engine()};
    dnnl::inner_product_forward::primitive_desc pd;
    dnnl::inner_product_forward prim;
    memory src, weights, dst;
    index_t batch = 0, out = 0;
};

inner_product::inner_product(index_t in_features, index_t out_features, index_t batch, const float* w, const float* x)
    : s_(new state)
{
    s_->batch = batch;
    s_->out = out_features;
    const memory::dims src_dims = {batch, in_features}, w_dims = {out_features, in_features},
                       dst_dims = {batch, out_features};
    dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference,
                                        memory::desc(src_dims, dt::f32, tag::any),
                                        memory::desc(w_dims, dt::f32, tag::any),
                                        memory::desc(dst_dims, dt::f32, tag::any));
    s_->pd = dnnl::inner_product_forward::primitive_desc(d, cpu_engine());
    s_->prim = dnnl::inner_product_forward(s_->pd);
    s_->src = reordered(memory::desc(src_dims, dt::f32, tag::nc), x, s_->pd.src_desc(), s_->stream);
    s_->weights = reordered(memory::desc(w_dims, dt::f32, tag::oi), w, s_->pd.weights_desc(), s_->stream);
    s_->dst = memory(s_->pd.dst_desc(), cpu_engine());
}
inner_product::~inner_product() = default;

void inner_product::run()
{
    s_->prim.execute(s_->stream, {{DNNL_ARG_SRC, s_->src}, {DNNL_ARG_WEIGHTS, s_->weights}, {DNNL_ARG_DST, s_->dst}});
    s_->stream.wait();
}

void inner_product::output_out_by_batch(float* dst) const
{
    // dst[o * batch + b] = Y[b][o]: the reorder writes Y through a transposed (`ba`) view.
    memory::desc y_t({s_->batch, s_->out}, dt::f32, memory::dims{1, s_->batch});
    memory user(y_t, cpu_engine(), dst);
    dnnl::reorder(s_->dst, user).execute(s_->stream, s_->dst, user);
    s_->stream.wait();
}

std::string inner_product::impl() const { return s_->pd.impl_info_str(); }

} // namespace dnnl_baseline
#endif

#if FINEGRAIN_BENCH_HAVE_OPENBLAS
namespace openblas_baseline {

void set_threads(int threads) { openblas_set_num_threads(threads); }
std::string core_name() { return openblas_get_corename(); }
std::string config() { return openblas_get_config(); }

void sgemm(const gemm_shape& s, const float* a, const float* b, float* c)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(s.m), blasint(s.n), blasint(s.k), 1.0f, a,
                blasint(s.k), b, blasint(s.n), 0.0f, c, blasint(s.n));
}

void sgemv(index_t m, index_t k, const float* a, const float* x, float* y)
{
    cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(k), 1.0f, a, blasint(k), x, 1, 0.0f, y, 1);
}

} // namespace openblas_baseline
#endif

} // namespace bench
} // namespace finegrain
