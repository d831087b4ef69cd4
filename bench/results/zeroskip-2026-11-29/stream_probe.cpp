#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <sys/mman.h>
#include <algorithm>
// Single-core read bandwidth: S interleaved streams over a buffer of N bytes, cold (flush by writing 96 MB between calls).
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
int main(int argc,char**argv){
  size_t bytes = 7130000; int streams = argc>1?atoi(argv[1]):4; int pf = argc>2?atoi(argv[2]):0;
  size_t n = bytes/4; n = n/ (8*streams) * 8*streams;
  float* a=(float*)aligned_alloc(2<<20, ((n*4)/(2<<20)+1)*(2<<20)); madvise(a,((n*4)/(2<<20)+1)*(2<<20),MADV_HUGEPAGE);
  for(size_t i=0;i<n;i++) a[i]=i*1e-9f;
  std::vector<char> flush(96<<20,1);
  std::vector<double> t;
  float sink=0;
  for(int rep=0;rep<31;rep++){
    for(size_t i=0;i<flush.size();i+=64) flush[i]++;
    double t0=now();
    __m256 acc[8]; for(int i=0;i<8;i++) acc[i]=_mm256_setzero_ps();
    size_t per = n/streams;
    for(size_t i=0;i<per;i+=16){
      for(int s=0;s<streams;s++){
        const float* p=a+s*per+i;
        if(pf) _mm_prefetch((const char*)(p+pf),_MM_HINT_T0);
        acc[s&7]=_mm256_add_ps(acc[s&7],_mm256_load_ps(p));
        acc[(s+1)&7]=_mm256_add_ps(acc[(s+1)&7],_mm256_load_ps(p+8));
      }
    }
    double t1=now(); t.push_back(t1-t0);
    float o[8]; __m256 s=acc[0]; for(int i=1;i<8;i++) s=_mm256_add_ps(s,acc[i]); _mm256_storeu_ps(o,s); sink+=o[0];
  }
  std::sort(t.begin(),t.end());
  printf("streams %d pf %d: median %.3f ms = %.1f GB/s (min %.3f) %g\n",streams,pf,t[t.size()/2]*1e3,n*4/t[t.size()/2]/1e9,t[0]*1e3,sink);
}
