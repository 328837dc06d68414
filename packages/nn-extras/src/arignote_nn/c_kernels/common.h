/* nn-extras' C kernels: what the convolution and pooling kernels share, threads (the runtime's). A module
 * holding several kernels gets this text once per kernel, hence the include guard.
 *
 * The kernels run under codegen-c's user-op ABI (ag_array: strides in bytes, outputs allocated C-contiguous by
 * the runtime). Shapes were checked in Python before the call, so the C trusts them. */
#ifndef ARIGNOTE_NN_COMMON
#define ARIGNOTE_NN_COMMON
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NN_MAX_THREADS 64

/* The runtime's services (codegen-c's services.h and services_client.h, whose text precedes this): its thread
 * pool, the running step's thread count (ARIGNOTE_THREADS, the mode's option) and GEMM on that pool, so that the
 * kernels, the runtime's loops and BLAS share one set of threads. Fetched once, with the GIL; -1 with a Python
 * exception set when the runtime cannot give them. */
static const ag_services *nn_services;

static int nn_load_services(void) {
    if (ag_load_services("nn-extras' kernels") < 0) return -1;
    nn_services = ag_kernel_services;
    return 0;
}

/* The threads the running step may use, at most NN_MAX_THREADS (services loaded). */
static int nn_threads(void) { return ag_kernel_threads(NN_MAX_THREADS); }

/* fn(job, begin, end, worker, block): items [begin, end), block ``block`` of them, run by worker ``worker`` (0
 * the calling thread, below the workers asked for). */
typedef void (*nn_range_fn)(void *job, int64_t begin, int64_t end, int worker, int64_t block);

/* Items are cut into blocks, about four per worker, that workers claim one at a time from the runtime's pool, so
 * a worker the OS leaves waiting for a core (a small machine shared with other processes) delays the others by
 * one block, not by its share. Block b is the same items whichever worker takes it (results that sum per block
 * are reproducible). */
#define NN_MAX_BLOCKS (8 * NN_MAX_THREADS)

static int64_t nn_blocks(int64_t items, int workers) {
    int64_t blocks = workers <= 1 ? 1 : 4 * (int64_t)workers;
    if (blocks > items) blocks = items;
    return blocks < 1 ? 1 : blocks > NN_MAX_BLOCKS ? NN_MAX_BLOCKS : blocks;
}

static int64_t nn_block_begin(int64_t items, int64_t blocks, int64_t block) { return items * block / blocks; }

typedef struct {
    nn_range_fn fn;
    void *job;
    int64_t items, blocks;
} nn_queue;

static int nn_run_block(void *arg, int64_t block, int worker) {
    const nn_queue *q = (const nn_queue *)arg;
    q->fn(q->job, nn_block_begin(q->items, q->blocks, block), nn_block_begin(q->items, q->blocks, block + 1), worker,
          block);
    return 0;
}

/* fn over the nn_blocks(items, workers) blocks of [0, items), by up to `workers` workers. Call without the GIL. */
static void nn_parallel(nn_range_fn fn, void *job, int64_t items, int workers) {
    nn_queue queue = {fn, job, items, nn_blocks(items, workers)};
    nn_services->parallel(queue.blocks, workers, nn_run_block, &queue);
}

#endif
