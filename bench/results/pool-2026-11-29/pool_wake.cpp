#include <finegrain/core/parallel.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
using namespace finegrain;
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
// After `idle_ms` idle, a job of 200 tasks x 10 us: when does worker 1 run its first task?
int main(int argc,char**argv){
  int idle=atoi(argv[1]); thread_pool pool(2); std::vector<double> t, tot;
  for(int r=0;r<31;r++){ if(getenv("BUSY")){ double s=now(); static std::vector<char> f(96<<20,1); while((now()-s)*1e3<idle) for(size_t i=0;i<f.size()&&(now()-s)*1e3<idle;i+=4096) f[i]++; } else std::this_thread::sleep_for(std::chrono::microseconds(idle*1000));
    std::atomic<double> first{-1}; double t0=now();
    pool.run(200,[&](std::size_t,std::size_t w){ if(w==1){ double e=-1; first.compare_exchange_strong(e, now()-t0);} double s=now(); while((now()-s)*1e6<10){} });
    tot.push_back((now()-t0)*1e6); t.push_back(first.load()*1e6);}
  std::sort(t.begin(),t.end()); std::sort(tot.begin(),tot.end());
  std::printf("idle %d ms: worker's first task after median %.0f us (min %.0f, max %.0f); job %.0f us (serial 2000)\n",idle,t[15],t[0],t[30],tot[15]);
}
