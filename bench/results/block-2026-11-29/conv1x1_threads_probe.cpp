#include <finegrain/block/conv1x1_plan.hpp>
#include <finegrain/block/project.hpp>
#include <finegrain/core/parallel.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>
using namespace finegrain;
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
int main(int argc,char**argv){
  index_t cin=atol(argv[1]), cout=atol(argv[2]), hw=atol(argv[3]);
  std::vector<float> w(cout*cin); std::mt19937 rng(1); std::normal_distribution<float> nd; for(auto& v:w) v=nd(rng);
  auto pr = block::project(matrix_view<const float>(w.data(),cout,cin), {4,1}, 0.9);
  auto bw = block::pack(matrix_view<const float>(pr.data(),cout,cin), {4,1});
  auto s = conv2d_shape::square(1,cin,cout,hw,1);
  std::vector<float> in(cin*hw*hw,0.5f), out(cout*hw*hw);
  thread_pool pool(2);
  for(int threads: {1,2,1,2}){
    block::spmm_options o; o.pool = threads>1? &pool : nullptr;
    block::conv1x1_plan<float> p(bw, s, o);
    tensor4_view<const float> iv(in.data(), s.input_dims()); tensor4_view<float> ov(out.data(), s.output_dims());
    for(int i=0;i<200;i++) p.run(iv,ov);
    std::vector<double> t; for(int r=0;r<15;r++){ double t0=now(); for(int i=0;i<200;i++) p.run(iv,ov); t.push_back((now()-t0)/200*1e6);} std::sort(t.begin(),t.end());
    std::printf("t%d %s: median %.1f us (min %.1f max %.1f)\n",threads,p.kernel_name(),t[7],t[0],t[14]);
  }
}
