// A persistent thread pool shared by every kernel, and per-thread scratch memory.
//
// Determinism: kernels split work into tasks whose boundaries never change the arithmetic done for
// one output element, so results are bit-identical for any thread count; the pool only decides
// which thread runs which task (dynamically, for balance).
#pragma once
#include <cstddef>

namespace recur {

typedef void (*TaskFn)(void* ctx, long task);

// Runs fn(ctx, t) for every t in [0, ntasks) on up to `threads` threads (the caller included) and
// returns when all are done. Falls back to the calling thread alone when the pool is busy (another
// JS thread is using it) or when threads <= 1.
void pool_run(int threads, long ntasks, TaskFn fn, void* ctx);

template <class F>
inline void parallel_for(int threads, long ntasks, const F& f) {
  if (threads <= 1 || ntasks <= 1) {
    for (long t = 0; t < ntasks; t++) f(t);
    return;
  }
  pool_run(threads, ntasks, [](void* ctx, long t) { (*static_cast<const F*>(ctx))(t); }, const_cast<F*>(&f));
}

// Counters for tests and tuning: jobs run in parallel, and tasks run by workers (not the caller).
struct PoolStats {
  long jobs;
  long workerTasks;
};
PoolStats pool_stats();

// 64-byte aligned scratch of at least n floats, owned by the calling thread and reused across calls
// (grown, never shrunk), so the hot path does not allocate after the first step. slot selects one of
// a few independent buffers.
float* scratch(int slot, size_t n);

}  // namespace recur
