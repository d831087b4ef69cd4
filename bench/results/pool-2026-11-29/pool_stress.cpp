#include <finegrain/core/parallel.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>
using namespace finegrain;
int main(){
  std::mt19937 rng(1); long bad=0, jobs=0;
  for(int threads : {2,3,4}){
    thread_pool pool(threads);
    for(int j=0;j<3000;j++){
      std::size_t tasks = 1 + rng()%40; std::vector<std::atomic<int>> hit(tasks); for(auto& h:hit) h=0;
      std::vector<std::atomic<int>> inuse(threads); for(auto& u:inuse) u=0;
      pool.run(tasks, [&](std::size_t t, std::size_t w){ if(w>=std::size_t(threads) || inuse[w].fetch_add(1)!=0) ++bad; hit[t].fetch_add(1); if(t%7==0) std::this_thread::yield(); inuse[w].fetch_sub(1); });
      for(auto& h:hit) if(h.load()!=1) ++bad;
      ++jobs;
      if(j%25==0) std::this_thread::sleep_for(std::chrono::milliseconds(j%50==0?25:1));  // let workers fall asleep
    }
  }
  std::printf("jobs %ld bad %ld\n", jobs, bad); return bad!=0;
}
