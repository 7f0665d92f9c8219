// Persistent workers that spin briefly, then sleep, waiting for the next job.
//
// The time loop of an RNN calls a GEMM and a cell kernel per step, tens of microseconds apart, so
// waking sleeping threads (a futex round trip per worker) would cost as much as the work. Workers
// therefore spin for a while after each job (cheap: the caller's thread is busy in JS meanwhile)
// and only then block on a condition variable.
#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace recur {
namespace {

constexpr int kMaxWorkers = 63;
// How long an idle worker spins before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(200);

struct alignas(64) Worker {
  std::atomic<unsigned> go{0};  // bumped by the caller to hand this worker the current job
  std::atomic<bool> sleeping{false};
  std::mutex m;
  std::condition_variable cv;
};

struct Pool {
  std::mutex busy;  // one job at a time
  Worker* workers[kMaxWorkers] = {};
  int count = 0;
  // The current job (written before the workers are signalled, read-only while it runs).
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  long ntasks = 0;
  alignas(64) std::atomic<long> next{0};
  alignas(64) std::atomic<int> active{0};
};

Pool& pool() {
  // Never destroyed: workers are detached and simply die with the process (destroying joinable
  // std::threads at exit would abort).
  static Pool* p = new Pool();
  return *p;
}

void run_tasks(Pool& p) {
  for (;;) {
    long t = p.next.fetch_add(1, std::memory_order_relaxed);
    if (t >= p.ntasks) break;
    p.fn(p.ctx, t);
  }
}

void worker_main(Pool* p, Worker* w) {
  unsigned seen = 0;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; w->go.load(std::memory_order_acquire) == seen; i++) {
      cpu_relax();
      if ((i & 255) == 255 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lk(w->m);
        w->sleeping.store(true, std::memory_order_seq_cst);
        while (w->go.load(std::memory_order_seq_cst) == seen) w->cv.wait(lk);
        w->sleeping.store(false, std::memory_order_relaxed);
        start = std::chrono::steady_clock::now();
      }
    }
    seen = w->go.load(std::memory_order_acquire);
    run_tasks(*p);
    p->active.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace

void pool_run(int threads, long ntasks, TaskFn fn, void* ctx) {
  Pool& p = pool();
  int helpers = threads - 1;
  if (helpers > kMaxWorkers) helpers = kMaxWorkers;
  if (helpers > ntasks - 1) helpers = (int)(ntasks - 1);
  std::unique_lock<std::mutex> lk(p.busy, std::try_to_lock);
  if (helpers <= 0 || !lk.owns_lock()) {
    for (long t = 0; t < ntasks; t++) fn(ctx, t);
    return;
  }
  while (p.count < helpers) {
    Worker* w = new Worker();
    try {
      std::thread(worker_main, &p, w).detach();
    } catch (...) {
      delete w;
      helpers = p.count;
      break;
    }
    p.workers[p.count++] = w;
  }
  p.fn = fn;
  p.ctx = ctx;
  p.ntasks = ntasks;
  p.next.store(0, std::memory_order_relaxed);
  p.active.store(helpers, std::memory_order_relaxed);
  for (int i = 0; i < helpers; i++) {
    Worker* w = p.workers[i];
    w->go.fetch_add(1, std::memory_order_seq_cst);
    if (w->sleeping.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> g(w->m);
      w->cv.notify_one();
    }
  }
  run_tasks(p);
  while (p.active.load(std::memory_order_acquire) != 0) cpu_relax();
}

namespace {
struct Scratch {
  float* ptr[4] = {};
  size_t cap[4] = {};
  ~Scratch() {
    for (float* q : ptr) std::free(q);
  }
};
thread_local Scratch tls_scratch;
}  // namespace

float* scratch(int slot, size_t n) {
  Scratch& s = tls_scratch;
  if (n > s.cap[slot]) {
    size_t cap = n < 1024 ? 1024 : n + n / 4;
    size_t bytes = (cap * sizeof(float) + 63) & ~size_t(63);
    void* q = std::aligned_alloc(64, bytes);
    if (!q) std::abort();
    std::free(s.ptr[slot]);
    s.ptr[slot] = static_cast<float*>(q);
    s.cap[slot] = cap;
  }
  return s.ptr[slot];
}

}  // namespace recur
