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
#include <cstdint>
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
constexpr uint32_t kClosed = 1u << 31;
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
  // The current job: written by the caller before it opens the job, read-only while it is open.
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  long ntasks = 0;
  int parts = 1;  // participants the tasks are divided among: the caller and `parts − 1` workers
  // Participant q owns tasks [q·ntasks/parts, (q+1)·ntasks/parts) and claims them through
  // cursor[q]; when its range is done it steals from the others'. A repeated call of the same
  // shape (each step of the time loop) so gives each thread the same rows of a weight matrix as
  // last time, still in its own L2, while a participant that never shows up costs nothing.
  struct alignas(64) Cursor {
    std::atomic<long> next{0};
    long end = 0;
  };
  Cursor cursor[kMaxWorkers + 1];
  // kClosed, or the number of workers that joined the open job. A worker joins only while the job
  // is open, so the caller never waits for one that has not been scheduled yet (on a busy machine
  // it may not run for milliseconds): it does the tasks itself, closes the job, and waits only for
  // those that joined, which are running.
  alignas(64) std::atomic<uint32_t> state{kClosed};
  std::atomic<long> jobs{0}, workerTasks{0};
  alignas(64) std::atomic<uint32_t> left{0};
};

Pool& pool() {
  // Never destroyed: workers are detached and simply die with the process (destroying joinable
  // std::threads at exit would abort).
  static Pool* p = new Pool();
  return *p;
}

void run_tasks(Pool& p, int self) {
  int parts = p.parts;
  long done = 0;
  for (int k = 0; k < parts; k++) {
    Pool::Cursor& c = p.cursor[(self + k) % parts];
    for (;;) {
      long t = c.next.fetch_add(1, std::memory_order_relaxed);
      if (t >= c.end) break;
      p.fn(p.ctx, t);
      done++;
    }
  }
  if (self != 0) p.workerTasks.fetch_add(done, std::memory_order_relaxed);
}

void worker_main(Pool* p, Worker* w, int self) {
  unsigned seen = 0;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; w->go.load(std::memory_order_acquire) == seen; i++) {
      cpu_relax();
      // Now and then offer the core to another runnable thread (on a busy machine it may be our own
      // caller); with nothing else runnable this returns at once. Not every 64 spins: a yield is a
      // system call, and a worker inside one answers late (sampling an LSTM-256 on two threads,
      // 107–113k chars/s yielding every 64 spins, 118–121k every 4096).
      if ((i & 4095) == 4095) std::this_thread::yield();
      if ((i & 255) == 255 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lk(w->m);
        w->sleeping.store(true, std::memory_order_seq_cst);
        while (w->go.load(std::memory_order_seq_cst) == seen) w->cv.wait(lk);
        w->sleeping.store(false, std::memory_order_relaxed);
        start = std::chrono::steady_clock::now();
      }
    }
    seen = w->go.load(std::memory_order_acquire);
    uint32_t s = p->state.load(std::memory_order_acquire);
    while (!(s & kClosed)) {
      if (p->state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        run_tasks(*p, self);
        p->left.fetch_add(1, std::memory_order_release);
        break;
      }
    }
  }
}

// Spins, then yields the core (the thread being waited for may need it).
void wait_for(const std::atomic<uint32_t>& v, uint32_t target) {
  for (int i = 0; v.load(std::memory_order_acquire) < target; i++) {
    if (i < 4096) cpu_relax();
    else std::this_thread::yield();
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
      std::thread(worker_main, &p, w, p.count + 1).detach();
    } catch (...) {
      delete w;
      helpers = p.count;
      break;
    }
    p.workers[p.count++] = w;
  }
  p.jobs.fetch_add(1, std::memory_order_relaxed);
  p.fn = fn;
  p.ctx = ctx;
  p.ntasks = ntasks;
  p.parts = helpers + 1;
  for (int q = 0; q < p.parts; q++) {
    p.cursor[q].next.store(ntasks * q / p.parts, std::memory_order_relaxed);
    p.cursor[q].end = ntasks * (q + 1) / p.parts;
  }
  p.left.store(0, std::memory_order_relaxed);
  p.state.store(0, std::memory_order_release);  // open
  for (int i = 0; i < helpers; i++) {
    Worker* w = p.workers[i];
    w->go.fetch_add(1, std::memory_order_seq_cst);
    if (w->sleeping.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> g(w->m);
      w->cv.notify_one();
    }
  }
  run_tasks(p, 0);
  // Every task has been claimed; close the job and wait for the workers still finishing theirs.
  uint32_t joined = p.state.exchange(kClosed, std::memory_order_acq_rel);
  wait_for(p.left, joined);
}

PoolStats pool_stats() {
  Pool& p = pool();
  return {p.jobs.load(), p.workerTasks.load()};
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
