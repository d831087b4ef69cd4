#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <vector>
#include <thread>
#include <atomic>
#include <random>
#include <algorithm>
#include <sys/mman.h>
// SpMV probe, 8x1 blocks, 4096x4096 @ 90 %: separate uint16 index stream vs indices inline (16 per 32 B header).
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
static void* huge(size_t b){ size_t a=(b/(2<<20)+1)*(2<<20); void* p=aligned_alloc(2<<20,a); madvise(p,a,MADV_HUGEPAGE); memset(p,0,a); return p;}
const int M=4096, K=4096, BR=M/8;
std::vector<uint32_t> rp; uint16_t* col; float* val; // separate
std::vector<uint32_t> roff; float* inl; // inline: per row chunks [16 x u16 hdr (32 B)][16 blocks x 8 floats]
float x[K] __attribute__((aligned(64)));
template<int S> static void sep(int r0,int r1,float* y){
  int part=(r1-r0+S-1)/S;
  for(int t=0;t<part;t++){ int b[S],len[S],rb[S]; __m256 acc[S]; int common=1<<30;
    for(int s=0;s<S;s++){ rb[s]=r0+s*part+t; bool live=rb[s]<r1; b[s]=live?rp[rb[s]]:0; len[s]=live?rp[rb[s]+1]-b[s]:0; common=std::min(common,len[s]); acc[s]=_mm256_setzero_ps(); }
    for(int i=0;i<common;i++) for(int s=0;s<S;s++) acc[s]=_mm256_fmadd_ps(_mm256_load_ps(val+(size_t)(b[s]+i)*8),_mm256_set1_ps(x[col[b[s]+i]]),acc[s]);
    for(int s=0;s<S;s++){ for(int i=common;i<len[s];i++) acc[s]=_mm256_fmadd_ps(_mm256_load_ps(val+(size_t)(b[s]+i)*8),_mm256_set1_ps(x[col[b[s]+i]]),acc[s]); if(rb[s]<r1) _mm256_store_ps(y+rb[s]*8,acc[s]); }
  }
}
template<int S> static void inl_k(int r0,int r1,float* y){
  int part=(r1-r0+S-1)/S;
  for(int t=0;t<part;t++){ const float* p[S]; int len[S],rb[S]; __m256 acc[S]; int common=1<<30;
    for(int s=0;s<S;s++){ rb[s]=r0+s*part+t; bool live=rb[s]<r1; p[s]=inl+(live?roff[rb[s]]:0); len[s]=live?rp[rb[s]+1]-rp[rb[s]]:0; common=std::min(common,len[s]); acc[s]=_mm256_setzero_ps(); }
    int full=common/16;
    for(int c=0;c<full;c++){
      for(int i=0;i<16;i++) for(int s=0;s<S;s++){ const uint16_t* h=(const uint16_t*)p[s]; acc[s]=_mm256_fmadd_ps(_mm256_load_ps(p[s]+8+i*8),_mm256_set1_ps(x[h[i]]),acc[s]); }
      for(int s=0;s<S;s++) p[s]+=8+128;
    }
    for(int s=0;s<S;s++){ int rem=len[s]-full*16; const float* q=p[s];
      while(rem>0){ int n=std::min(rem,16); const uint16_t* h=(const uint16_t*)q; for(int i=0;i<n;i++) acc[s]=_mm256_fmadd_ps(_mm256_load_ps(q+8+i*8),_mm256_set1_ps(x[h[i]]),acc[s]); q+=8+n*8; rem-=n; }
      if(rb[s]<r1) _mm256_store_ps(y+rb[s]*8,acc[s]); }
  }
}
int main(int argc,char**argv){
  int T=atoi(argv[1]); int mode=atoi(argv[2]); int S=atoi(argv[3]); int parts=argc>4?atoi(argv[4]):4;
  std::mt19937 rng(3); std::vector<uint16_t> cv; rp.push_back(0);
  for(int r=0;r<BR;r++){ for(int k=0;k<K;k++) if(rng()%10==0) cv.push_back(k); rp.push_back(cv.size()); }
  size_t nb=cv.size(); col=(uint16_t*)huge(nb*2); memcpy(col,cv.data(),nb*2); val=(float*)huge(nb*32+64); for(size_t i=0;i<nb*8;i++) val[i]=1e-3f*(i%97);
  size_t tot=0; for(int r=0;r<BR;r++){ roff.push_back(tot); int n=rp[r+1]-rp[r]; tot+=((n+15)/16)*8+n*8; }
  inl=(float*)huge(tot*4+64); for(int r=0;r<BR;r++){ float* q=inl+roff[r]; int b=rp[r], n=rp[r+1]-rp[r]; while(n>0){int c=std::min(n,16); uint16_t* h=(uint16_t*)q; for(int i=0;i<c;i++){h[i]=col[b+i]; memcpy(q+8+i*8,val+(size_t)(b+i)*8,32);} q+=8+c*8; b+=c; n-=c;} }
  for(int k=0;k<K;k++) x[k]=1.0f/(k+1);
  float* y=(float*)aligned_alloc(64,M*4); std::vector<int> cuts; int groups=T*parts; for(int g=0;g<=groups;g++) cuts.push_back(BR*g/groups);
  auto run=[&](int r0,int r1){ if(mode==0){ if(S==1) sep<1>(r0,r1,y); else if(S==2) sep<2>(r0,r1,y); else if(S==4) sep<4>(r0,r1,y); else sep<8>(r0,r1,y);} else { if(S==1) inl_k<1>(r0,r1,y); else if(S==2) inl_k<2>(r0,r1,y); else if(S==4) inl_k<4>(r0,r1,y); else inl_k<8>(r0,r1,y);} };
  std::atomic<int> next{0}; auto drain=[&]{ for(;;){int g=next.fetch_add(1); if(g>=groups) break; run(cuts[g],cuts[g+1]);} };
  std::vector<char> flush(96<<20,1);
  int V[4][2]={{0,4},{1,4},{0,2},{1,2}}; std::vector<double> tv[4];
  for(int rep=0;rep<41;rep++) for(int i=0;i<4;i++){ int v=(i+rep)%4; mode=V[v][0]; S=V[v][1];
    for(size_t j=0;j<flush.size();j+=64) flush[j]++; next=0; double t0=now(); drain(); tv[v].push_back(now()-t0); }
  for(int v=0;v<4;v++){ std::vector<double> r; for(int k=0;k<41;k++) r.push_back(tv[0][k]/tv[v][k]); std::sort(r.begin(),r.end()); auto q=tv[v]; std::sort(q.begin(),q.end());
    printf("%s S%d: median %.3f ms  x sep4 %.3f\n", V[v][0]?"inline":"sep", V[v][1], q[20]*1e3, r[20]); }
  return 0;
}
