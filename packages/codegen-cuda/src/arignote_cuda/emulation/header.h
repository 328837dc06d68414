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
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

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

/* CUDA's __shfl_xor_sync: the value of lane (lane ^ laneMask); a lane whose source lies in a later group of
 * `width` lanes (or outside the warp) gets its own value. */
template <typename T> static T __shfl_xor_sync(unsigned mask, T value, int laneMask, int width = 32) {
    (void)mask;
    unsigned self = ag_emu_current, lane = self & 31u, source = lane ^ (unsigned)laneMask;
    if (source >= (lane / (unsigned)width + 1u) * (unsigned)width || source >= 32u) source = lane;
    memcpy(&ag_emu_threads[self].slot, &value, sizeof(T));
    ag_emu_block(AT_WARP);
    T result;
    memcpy(&result, &ag_emu_threads[self - lane + source].slot, sizeof(T));
    ag_emu_block(AT_WARP);
    return result;
}

static inline int atomicOr(int *address, int value) { int old = *address; *address |= value; return old; }

/* CUDA's atomicAdd and atomicMax overloads (ops/indexing.py's scatters): a block's threads never run at once
 * here, so a plain read-modify-write is atomic; integers wrap as on the GPU. */
static inline int atomicAdd(int *address, int value) {
    int old = *address; *address = (int)((unsigned)old + (unsigned)value); return old;
}
static inline unsigned atomicAdd(unsigned *address, unsigned value) {
    unsigned old = *address; *address += value; return old;
}
static inline unsigned long long atomicAdd(unsigned long long *address, unsigned long long value) {
    unsigned long long old = *address; *address += value; return old;
}
static inline float atomicAdd(float *address, float value) { float old = *address; *address += value; return old; }
static inline double atomicAdd(double *address, double value) {
    double old = *address; *address += value; return old;
}
static inline int atomicMax(int *address, int value) {
    int old = *address; if (value > old) *address = value; return old;
}
static inline long long atomicMax(long long *address, long long value) {
    long long old = *address; if (value > old) *address = value; return old;
}

/* CUDA's __syncwarp: waits until every lane of the warp has reached it (a warp of lanes in lockstep). */
static inline void __syncwarp(unsigned mask = 0xffffffffu) { (void)mask; ag_emu_block(AT_WARP); }

/* CUDA's __umul64hi: the high 64 bits of the 128-bit product x * y. */
static inline unsigned long long __umul64hi(unsigned long long x, unsigned long long y) {
    return (unsigned long long)(((unsigned __int128)x * y) >> 64);
}

/* CUDA's vector types (the elementwise kernels' vector path) with their layout and alignment, and make_*. */
#define AG_EMU_VECTOR2(name, T, align) \
    struct alignas(align) name { T x, y; }; \
    static inline name make_##name(T x, T y) { name v = {x, y}; return v; }
#define AG_EMU_VECTOR4(name, T) \
    struct alignas(16) name { T x, y, z, w; }; \
    static inline name make_##name(T x, T y, T z, T w) { name v = {x, y, z, w}; return v; }
AG_EMU_VECTOR2(float2, float, 8)
AG_EMU_VECTOR2(int2, int, 8)
AG_EMU_VECTOR2(uint2, unsigned int, 8)
AG_EMU_VECTOR2(double2, double, 16)
AG_EMU_VECTOR2(longlong2, long long, 16)
AG_EMU_VECTOR2(ulonglong2, unsigned long long, 16)
AG_EMU_VECTOR4(float4, float)
AG_EMU_VECTOR4(int4, int)
AG_EMU_VECTOR4(uint4, unsigned int)
#undef AG_EMU_VECTOR2
#undef AG_EMU_VECTOR4

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
