#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <thread>
#include <atomic>
#include <algorithm>
#include <sys/mman.h>
// T threads, each S interleaved streams over its share of a 7 MB buffer; cold (flush between reps); threads spin-wait (awake).
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
static float run(const float* a, size_t per, int streams){
  __m256 acc[8]; for(int i=0;i<8;i++) acc[i]=_mm256_setzero_ps();
  for(size_t i=0;i<per;i+=16) for(int s=0;s<streams;s++){ const float* p=a+s*per+i;
    acc[s&7]=_mm256_add_ps(acc[s&7],_mm256_load_ps(p)); acc[(s+1)&7]=_mm256_add_ps(acc[(s+1)&7],_mm256_load_ps(p+8)); }
  __m256 s=acc[0]; for(int i=1;i<8;i++) s=_mm256_add_ps(s,acc[i]); float o[8]; _mm256_storeu_ps(o,s); return o[0];
}
int main(int argc,char**argv){
  int T=atoi(argv[1]); int S=atoi(argv[2]); size_t bytes = argc>3? atol(argv[3]) : 7130000;
  size_t n=bytes/4; n=n/(16*S*T)*16*S*T; size_t alloc=((n*4)/(2<<20)+1)*(2<<20);
  float* a=(float*)aligned_alloc(2<<20,alloc); madvise(a,alloc,MADV_HUGEPAGE); for(size_t i=0;i<n;i++) a[i]=i*1e-9f;
  std::vector<char> flush(96<<20,1); std::vector<double> t; std::atomic<int> go{0}, done{0}; std::atomic<bool> quit{false};
  size_t share=n/T, per=share/S; volatile float sink=0;
  std::thread w([&]{ int seen=0; while(true){ int g; while((g=go.load())==seen && !quit.load()); if(quit) return; seen=g; if(T>1) sink+=run(a+share,per,S); done.fetch_add(1);} });
  for(int rep=0;rep<31;rep++){ for(size_t i=0;i<flush.size();i+=64) flush[i]++;
    int d0=done.load(); double t0=now(); go.fetch_add(1); sink+=run(a,per,S); while(done.load()==d0); t.push_back(now()-t0);}
  quit=true; w.join(); std::sort(t.begin(),t.end());
  printf("T %d S %d: median %.3f ms = %.1f GB/s\n",T,S,t[15]*1e3,n*4/t[15]/1e9);
}
