#include <finegrain/core/parallel.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
using namespace finegrain;
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
// A job of `tasks` tasks of `us` microseconds each, started after the worker fell asleep (30 ms idle).
int main(int argc,char**argv){
  int tasks=atoi(argv[1]); double us=atof(argv[2]); thread_pool pool(2); std::vector<double> t;
  for(int r=0;r<41;r++){ std::this_thread::sleep_for(std::chrono::milliseconds(30));
    double t0=now(); pool.run(tasks,[&](std::size_t,std::size_t){ double s=now(); while((now()-s)*1e6<us){} }); t.push_back((now()-t0)*1e6);}
  std::sort(t.begin(),t.end()); std::printf("tasks %d x %.0f us: median %.1f us (min %.1f, p90 %.1f)\n",tasks,us,t[20],t[0],t[36]);
}
