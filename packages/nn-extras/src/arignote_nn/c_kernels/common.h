/* nn-extras' C kernels: what the convolution and pooling kernels share, threads. A module holding several
 * kernels gets this text once per kernel, hence the include guard.
 *
 * The kernels run under codegen-c's user-op ABI (ag_array: strides in bytes, outputs allocated C-contiguous by
 * the runtime). Shapes were checked in Python before the call, so the C trusts them. */
#ifndef ARIGNOTE_NN_COMMON
#define ARIGNOTE_NN_COMMON
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NN_MAX_THREADS 64

/* OMP_NUM_THREADS when set, else the CPUs this process may use (read once). */
static int nn_threads(void) {
    static int count = 0;
    if (count) return count;
    int found = (int)sysconf(_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) found = CPU_COUNT(&set);
#endif
    const char *env = getenv("OMP_NUM_THREADS");
    if (env && atoi(env) > 0) found = atoi(env);
    count = found < 1 ? 1 : found > NN_MAX_THREADS ? NN_MAX_THREADS : found;
    return count;
}

typedef void (*nn_range_fn)(void *job, int64_t begin, int64_t end, int worker);

/* Items handed out in blocks to whichever worker asks first, so that a worker the OS leaves waiting for a
 * core (a small machine shared with other processes) delays the others by one block, not by its share. The
 * blocks do not depend on which worker takes them (results that sum per block are reproducible). */
#define NN_MAX_BLOCKS (8 * NN_MAX_THREADS)

/* Items per block: all of them for one worker, else about a quarter of a worker's share (at most
 * NN_MAX_BLOCKS blocks). */
static int64_t nn_block(int64_t items, int workers) {
    const int64_t block = items / (4 * (int64_t)workers);
    return workers <= 1 ? (items > 0 ? items : 1) : block > 1 ? block : 1;
}

typedef struct {
    nn_range_fn fn;
    void *job;
    int64_t items, block, next;
} nn_queue;

typedef struct {
    nn_queue *queue;
    int worker;
} nn_worker;

static void *nn_work(void *arg) {
    const nn_worker *w = (const nn_worker *)arg;
    nn_queue *q = w->queue;
    for (;;) {
        const int64_t begin = __atomic_fetch_add(&q->next, q->block, __ATOMIC_RELAXED);
        if (begin >= q->items) return NULL;
        q->fn(q->job, begin, begin + q->block < q->items ? begin + q->block : q->items, w->worker);
    }
}

/* fn over [0, items) in blocks of nn_block(items, workers), by `workers` workers, worker 0 the calling thread
 * (which also does the work of a thread that fails to start). Call without the GIL. */
static void nn_parallel(nn_range_fn fn, void *job, int64_t items, int workers) {
    nn_queue queue = {fn, job, items, nn_block(items, workers), 0};
    nn_worker ws[NN_MAX_THREADS];
    pthread_t ids[NN_MAX_THREADS];
    int started[NN_MAX_THREADS] = {0};
    for (int w = 0; w < workers; ++w) {
        ws[w] = (nn_worker){&queue, w};
        if (w > 0) started[w] = pthread_create(&ids[w], NULL, nn_work, &ws[w]) == 0;
    }
    nn_work(&ws[0]);
    for (int w = 1; w < workers; ++w)
        if (started[w]) pthread_join(ids[w], NULL);
}

#endif
