#include <finegrain/dense/gemm_plan.hpp>
#include <finegrain/core/parallel.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>
#include <algorithm>
using namespace finegrain;
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
int main(int argc,char**argv){
  int T=atoi(argv[1]); index_t n=4096,k=argc>2?atol(argv[2]):4096;
  std::vector<float> w(n*k); std::mt19937 rng(1); for(auto& v:w) v=float(rng()%1000)*1e-3f-0.5f;
  std::vector<float> x(k,0.5f), y(n);
  std::unique_ptr<thread_pool> pool(T>1? new thread_pool(T):nullptr);
  dense::gemm_options o; o.pool=pool.get();
  const char* names[4]={"base","pad","huge","pad+huge"};
  std::vector<std::unique_ptr<dense::gemm_plan<float>>> plans;
  for(int v=0;v<4;v++){ unsetenv("FG_PAD"); unsetenv("FG_HUGE"); if(v&1) setenv("FG_PAD","1",1); if(v&2) setenv("FG_HUGE","1",1);
    plans.emplace_back(new dense::gemm_plan<float>(matrix_view<const float>(w.data(),n,k),1,o)); }
  std::vector<char> flush(96<<20,1); std::vector<std::vector<double>> t(4);
  for(int r=0;r<41;r++) for(int i=0;i<4;i++){ int v=(i+r)%4; for(size_t j=0;j<flush.size();j+=64) flush[j]++;
    double t0=now(); plans[v]->run_unchecked(x.data(),1,y.data(),1); t[v].push_back(now()-t0); }
  for(int v=0;v<4;v++){ std::vector<double> ratio; for(int r=0;r<41;r++) ratio.push_back(t[0][r]/t[v][r]); std::sort(ratio.begin(),ratio.end()); auto s=t[v]; std::sort(s.begin(),s.end());
    printf("T%d k%ld %-9s median %.3f ms  x base %.3f\n",T,(long)k,names[v],s[20]*1e3,ratio[20]); }
}
