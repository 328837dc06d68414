/* The CUDA dialect on the CPU: the same kernel text compiled as C++, one block at a time.
 *
 * A block's threads are coroutines (ucontext) on one OS thread, run in order: thread 0 until it blocks or
 * ends, then thread 1, ... A __syncthreads() blocks its thread until every thread of the block has reached it;
 * a __shfl_down_sync() blocks until every lane of its warp has written its value, and again until every lane
 * has read. So a kernel that reads shared memory before the barrier that orders it reads what an earlier
 * thread left there, and fails. A barrier some threads of the block (or lanes of the warp) never reach is an
 * error, not a hang: the launch returns AG_EMU_DIVERGENT.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <ucontext.h>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct ag_dim3 { unsigned x, y, z; };
static ag_dim3 threadIdx, blockIdx, blockDim, gridDim;

enum { AG_EMU_OK = 0, AG_EMU_DIVERGENT = -1, AG_EMU_BAD_LAUNCH = -2, AG_EMU_NO_MEMORY = -3 };
enum { RUNNABLE, AT_BARRIER, AT_WARP, DONE };

#define AG_EMU_STACK (256 * 1024)

struct ag_emu_thread { ucontext_t context; int state; uint64_t slot; char *stack; };

static ucontext_t ag_emu_scheduler;
static ag_emu_thread *ag_emu_threads;
static unsigned ag_emu_current;
static void (*ag_emu_body)(const void *);
static const void *ag_emu_args;

static void ag_emu_block(int state) {
    ag_emu_threads[ag_emu_current].state = state;
    swapcontext(&ag_emu_threads[ag_emu_current].context, &ag_emu_scheduler);
}

static inline void __syncthreads(void) { ag_emu_block(AT_BARRIER); }

template <typename T> static T __shfl_down_sync(unsigned mask, T value, unsigned delta) {
    (void)mask;
    unsigned self = ag_emu_current, lane = self & 31u;
    memcpy(&ag_emu_threads[self].slot, &value, sizeof(T));
    ag_emu_block(AT_WARP);
    T result;
    memcpy(&result, &ag_emu_threads[lane + delta < 32u ? self + delta : self].slot, sizeof(T));
    ag_emu_block(AT_WARP);
    return result;
}

static inline int atomicOr(int *address, int value) { int old = *address; *address |= value; return old; }

static void ag_emu_entry(void) {
    ag_emu_body(ag_emu_args);
    ag_emu_threads[ag_emu_current].state = DONE;
}

/* Release the threads waiting where every thread that must arrive has: a warp whose 32 lanes wait at a
 * shuffle, else the block when all its threads wait at __syncthreads. False when none can go on. */
static int ag_emu_release(unsigned threads) {
    int released = 0;
    for (unsigned w = 0; w < threads; w += 32) {
        unsigned waiting = 0;
        for (unsigned t = w; t < w + 32; ++t) waiting += ag_emu_threads[t].state == AT_WARP;
        if (waiting == 32) {
            for (unsigned t = w; t < w + 32; ++t) ag_emu_threads[t].state = RUNNABLE;
            released = 1;
        }
    }
    if (released) return 1;
    for (unsigned t = 0; t < threads; ++t)
        if (ag_emu_threads[t].state != AT_BARRIER) return 0;
    for (unsigned t = 0; t < threads; ++t) ag_emu_threads[t].state = RUNNABLE;
    return 1;
}

static int ag_emu_run_block(unsigned threads) {
    for (unsigned t = 0; t < threads; ++t) {
        ag_emu_thread *th = &ag_emu_threads[t];
        getcontext(&th->context);
        th->context.uc_stack.ss_sp = th->stack;
        th->context.uc_stack.ss_size = AG_EMU_STACK;
        th->context.uc_link = &ag_emu_scheduler;
        th->state = RUNNABLE;
        makecontext(&th->context, ag_emu_entry, 0);
    }
    for (;;) {
        for (unsigned t = 0; t < threads; ++t) {
            if (ag_emu_threads[t].state != RUNNABLE) continue;
            ag_emu_current = t;
            threadIdx.x = t;
            swapcontext(&ag_emu_scheduler, &ag_emu_threads[t].context);
        }
        unsigned done = 0;
        for (unsigned t = 0; t < threads; ++t) done += ag_emu_threads[t].state == DONE;
        if (done == threads) return AG_EMU_OK;
        if (!ag_emu_release(threads)) return AG_EMU_DIVERGENT;
    }
}

/* Run body(args) as a grid of `grid` blocks of `block` threads (a whole number of warps, at most 1024). */
static int ag_emu_launch(unsigned grid, unsigned block, void (*body)(const void *), const void *args) {
    if (grid == 0 || block == 0 || block % 32 != 0 || block > 1024) return AG_EMU_BAD_LAUNCH;
    ag_emu_thread *threads = (ag_emu_thread *)calloc(block, sizeof(ag_emu_thread));
    char *stacks = (char *)malloc((size_t)block * AG_EMU_STACK);
    if (!threads || !stacks) { free(threads); free(stacks); return AG_EMU_NO_MEMORY; }
    for (unsigned t = 0; t < block; ++t) threads[t].stack = stacks + (size_t)t * AG_EMU_STACK;
    ag_emu_threads = threads;
    ag_emu_body = body;
    ag_emu_args = args;
    gridDim.x = grid; gridDim.y = gridDim.z = 1;
    blockDim.x = block; blockDim.y = blockDim.z = 1;
    threadIdx.y = threadIdx.z = blockIdx.y = blockIdx.z = 0;
    int status = AG_EMU_OK;
    for (unsigned b = 0; b < grid && status == AG_EMU_OK; ++b) {
        blockIdx.x = b;
        status = ag_emu_run_block(block);
    }
    free(stacks);
    free(threads);
    return status;
}
