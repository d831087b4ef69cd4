#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <thread>
#include <atomic>
#include <random>
#include <algorithm>
#include <sys/mman.h>
// Rows probe: 4096 rows of 4096(+16) floats; a set of rows (random or clustered, 10 %), groups of G rows
// streamed together into y (as the zero-skip kernel), T threads (rows split in halves), cold.
static int noy=getenv("NOY")!=nullptr;
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
static int N=4096, K=4096, LD=4096+16;
static void groups(const float* w, const int* rows, int nr, int G, float* y, int pfl){
  for(int i=0;i<N;i+=8) _mm256_store_ps(y+i,_mm256_setzero_ps());
  for(int e=0;e<nr;e+=G){ int R=std::min(G,nr-e); const float* p[8]; for(int r=0;r<R;r++) p[r]=w+(size_t)rows[e+r]*LD;
    if(pfl){ int e2=e+G; for(int r=0;r<G && e2+r<nr;r++){ const char* q=(const char*)(w+(size_t)rows[e2+r]*LD); for(int l=0;l<pfl;l++) _mm_prefetch(q+64*l,_MM_HINT_T0);} }
    __m256 b0=_mm256_setzero_ps(),b1=b0; for(int c=0;c<N;c+=16){ __m256 a0=noy?b0:_mm256_load_ps(y+c), a1=noy?b1:_mm256_load_ps(y+c+8);
      for(int r=0;r<R;r++){ __m256 x=_mm256_set1_ps(0.5f); a0=_mm256_fmadd_ps(x,_mm256_load_ps(p[r]+c),a0); a1=_mm256_fmadd_ps(x,_mm256_load_ps(p[r]+c+8),a1);}
      if(noy){b0=a0;b1=a1;} else {_mm256_store_ps(y+c,a0); _mm256_store_ps(y+c+8,a1);}} if(noy){_mm256_store_ps(y,b0);_mm256_store_ps(y+8,b1);} }
}
int main(int argc,char**argv){
  int T=atoi(argv[1]), G=atoi(argv[2]); if(argc>6){N=atoi(argv[6]); K=4096*4096/N; LD=N+16;} int clustered=atoi(argv[3]); int pfl=argc>4?atoi(argv[4]):0; double keep=argc>5?atof(argv[5]):0.1;
  size_t bytes=(size_t)K*LD*4, alloc=(bytes/(2<<20)+1)*(2<<20);
  float* w=(float*)aligned_alloc(2<<20,alloc); madvise(w,alloc,MADV_HUGEPAGE); for(size_t i=0;i<(size_t)K*LD;i++) w[i]=1e-6f*(i&1023);
  std::mt19937 rng(7); std::vector<int> rows;
  if(clustered==2){ for(int k=0;k<K*keep;k++) rows.push_back(k);} else if(!clustered){ for(int k=0;k<K;k++) if(std::uniform_real_distribution<double>(0,1)(rng)<keep) rows.push_back(k); }
  else { int k=0; while(k<K){ int run=1+rng()%32; bool on=std::uniform_real_distribution<double>(0,1)(rng)<keep; for(int i=0;i<run&&k<K;i++,k++) if(on) rows.push_back(k);} }
  int nr=rows.size(); int half=(nr/2)/G*G; if(T==1) half=nr;
  float* y0=(float*)aligned_alloc(64,N*4); float* y1=(float*)aligned_alloc(64,N*4);
  std::vector<char> flush(96<<20,1); std::vector<double> t; std::atomic<int> go{0},done{0}; std::atomic<bool> quit{false};
  std::thread th([&]{int seen=0; while(1){int g; while((g=go.load())==seen&&!quit.load()); if(quit) return; seen=g; if(T>1) groups(w,rows.data()+half,nr-half,G,y1,pfl); done.fetch_add(1);} });
  for(int rep=0;rep<31;rep++){ for(size_t i=0;i<flush.size();i+=64) flush[i]++; int d0=done.load(); double t0=now(); go.fetch_add(1);
    groups(w,rows.data(),half,G,y0,pfl); while(done.load()==d0); t.push_back(now()-t0);}
  quit=true; th.join(); std::sort(t.begin(),t.end());
  printf("T %d G %d %s pf %d rows %d: median %.3f ms = %.1f GB/s\n",T,G,clustered?"clus":"rand",pfl,nr,t[15]*1e3,(double)nr*N*4/t[15]/1e9);
}
