/* The thread pool behind parallel loops.
 *
 * A parallel loop is cut into parts (a few per thread) that threads claim one at a time from a shared counter:
 * the calling thread works too, and helper threads join when the scheduler runs them. So a helper that another
 * process keeps off its core costs at most the part it holds, never a fixed share of the loop: on a busy
 * machine the caller simply does more parts itself. Helpers that find no work sleep on a condition variable;
 * nothing spins. One loop runs on the pool at a time; a loop that finds it busy (another Python thread, with
 * the GIL released) runs on its own thread rather than wait.
 *
 * The pool is made lazily, by the first loop that wants helpers, in the process that runs it: after fork the
 * child's pool is empty (the parent's helpers do not exist there) and the child makes its own. That is what
 * makes a forked worker safe where an OpenMP runtime hangs.
 *
 * A helper the OS takes off its core in the middle of a part still holds that part: the caller, out of parts,
 * waits for it, which on a machine where another process keeps the cores busy can last a scheduler time slice
 * (milliseconds, against parts of microseconds). So the caller times its own parts and its wait: a wait longer
 * than two of its parts (plus a wake-up) means helpers are being descheduled, and the next loops run on the
 * calling thread alone: 1 loop after the first such wait, twice as many after each further one (up to
 * AG_MAX_BACKOFF), and half as many again after each loop whose helpers kept up. A busy machine then costs about
 * what one thread costs, and a quiet one gets its threads back.
 *
 * A job is published as one 64-bit word: generation (32 bits), number of parts (16), next unclaimed part (16).
 * A helper claims a part by compare-and-swap on that word, so a helper that wakes late, after its job ended,
 * finds another generation and claims nothing; the function and context of a job stay valid until every
 * claimed part is done, which the caller waits for.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define AG_MAX_HELPERS 63
#define AG_MAX_PARTS 4096
#define AG_MAX_BACKOFF 1024
#define AG_WAKE_NS 20000 /* a helper's wake-up, allowed on top of the two parts */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* helpers wait here for a job */
    pthread_cond_t finished; /* the caller waits here for the last part */
    pid_t pid;               /* the process whose helpers these are */
    int helpers;             /* helpers started in this process */
    uint32_t generation;     /* of the latest job (under lock) */
    int wanted;              /* helpers the latest job may use */
    int joined;              /* helpers that joined it */
    ag_part_fn fn;
    void *ctx;
    unsigned fp_control;     /* the caller's floating-point control, which helpers take for the job */
    _Atomic uint64_t claim;  /* generation << 32 | parts << 16 | next part */
    _Atomic int64_t done;    /* parts of the current job finished */
    _Atomic int err;         /* the first error code of the current job */
    atomic_flag busy;        /* a loop is running on the pool */
    _Atomic int serial_left; /* loops still to run on the calling thread: helpers were descheduled */
    _Atomic int backoff;     /* how many loops the next late wait sends to the calling thread */
} ag_pool_state;

static ag_pool_state ag_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
                                0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, ATOMIC_FLAG_INIT, 0, 1};

/* The next part of job ``generation``, or -1 when it has none left (or another job has begun). */
static int64_t ag_claim(uint32_t generation) {
    uint64_t word = atomic_load_explicit(&ag_pool.claim, memory_order_acquire);
    for (;;) {
        uint64_t next = word & 0xffff, parts = (word >> 16) & 0xffff;
        if ((uint32_t)(word >> 32) != generation || next >= parts) return -1;
        if (atomic_compare_exchange_weak_explicit(&ag_pool.claim, &word, word + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return (int64_t)next;
    }
}

/* Run parts of job ``generation`` until none is left; the thread finishing the last part wakes the caller.
 * Returns how many parts this thread ran. */
static int64_t ag_work(uint32_t generation, int64_t parts, int worker) {
    int64_t part, ran = 0;
    while ((part = ag_claim(generation)) >= 0) {
        ++ran;
        int rc = ag_pool.fn(ag_pool.ctx, part, worker);
        if (rc) {
            int none = 0;
            atomic_compare_exchange_strong(&ag_pool.err, &none, rc);
        }
        if (atomic_fetch_add_explicit(&ag_pool.done, 1, memory_order_acq_rel) + 1 == parts) {
            pthread_mutex_lock(&ag_pool.lock);
            pthread_cond_signal(&ag_pool.finished);
            pthread_mutex_unlock(&ag_pool.lock);
        }
    }
    return ran;
}

static int64_t ag_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether this loop runs on the calling thread alone because helpers were recently descheduled. */
static int ag_pool_backing_off(void) {
    int left = atomic_load_explicit(&ag_pool.serial_left, memory_order_relaxed);
    while (left > 0)
        if (atomic_compare_exchange_weak(&ag_pool.serial_left, &left, left - 1)) return 1;
    return 0;
}

/* After a loop: the caller ran ``ran`` parts in ``worked`` ns, then waited ``waited`` ns for the helpers. */
static void ag_pool_judge(int64_t ran, int64_t worked, int64_t waited) {
    int backoff = atomic_load_explicit(&ag_pool.backoff, memory_order_relaxed);
    if (ran > 0 && waited > 2 * worked / ran + AG_WAKE_NS) {
        atomic_store_explicit(&ag_pool.serial_left, backoff, memory_order_relaxed);
        atomic_store_explicit(&ag_pool.backoff, backoff < AG_MAX_BACKOFF ? 2 * backoff : backoff,
                              memory_order_relaxed);
    } else if (backoff > 1) {
        atomic_store_explicit(&ag_pool.backoff, backoff / 2, memory_order_relaxed);
    }
}

static void *ag_helper(void *unused) {
    (void)unused;
    pthread_mutex_lock(&ag_pool.lock);
    uint32_t seen = 0; /* started by a loop that is running now: join it (its parts may all be gone already) */
    for (;;) {
        while (ag_pool.generation == seen) pthread_cond_wait(&ag_pool.wake, &ag_pool.lock);
        seen = ag_pool.generation;
        if (ag_pool.joined >= ag_pool.wanted) continue;
        int worker = ++ag_pool.joined;
        int64_t parts = (int64_t)((atomic_load(&ag_pool.claim) >> 16) & 0xffff);
        ag_set_fp_control(ag_pool.fp_control);
        pthread_mutex_unlock(&ag_pool.lock);
        ag_work(seen, parts, worker);
        pthread_mutex_lock(&ag_pool.lock);
    }
    return NULL;
}

/* fork: the child has none of the parent's helpers, and its copy of the lock may have been held by one. */
static void ag_pool_before_fork(void) { pthread_mutex_lock(&ag_pool.lock); }
static void ag_pool_after_fork_parent(void) { pthread_mutex_unlock(&ag_pool.lock); }
static void ag_pool_after_fork_child(void) {
    pthread_mutex_init(&ag_pool.lock, NULL);
    pthread_cond_init(&ag_pool.wake, NULL);
    pthread_cond_init(&ag_pool.finished, NULL);
    ag_pool.helpers = 0;
    ag_pool.pid = getpid();
    atomic_flag_clear(&ag_pool.busy);
}

static int ag_pool_install(void) {
    ag_pool.pid = getpid();
    return pthread_atfork(ag_pool_before_fork, ag_pool_after_fork_parent, ag_pool_after_fork_child) ? -1 : 0;
}

/* Start helpers (under lock) until there are ``want`` in this process; returns how many there are. */
static int ag_pool_grow(int want) {
    if (ag_pool.pid != getpid()) { /* a child made without fork handlers (vfork-like spawners): start afresh */
        ag_pool.helpers = 0;
        ag_pool.pid = getpid();
    }
    if (want > AG_MAX_HELPERS) want = AG_MAX_HELPERS;
    while (ag_pool.helpers < want) {
        pthread_t id;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&id, &attr, ag_helper, NULL);
        pthread_attr_destroy(&attr);
        if (failed) break;
        ag_pool.helpers++;
    }
    return ag_pool.helpers;
}

/* ag_parallel once the back-off is decided: on the pool unless one thread or part is asked for, or the pool is
 * running another loop. */
static int ag_pool_run(int64_t parts, int threads, ag_part_fn fn, void *ctx) {
    if (parts > AG_MAX_PARTS) parts = AG_MAX_PARTS; /* callers never ask for more */
    if (threads < 2 || parts < 2 || atomic_flag_test_and_set(&ag_pool.busy)) {
        int err = 0;
        for (int64_t part = 0; part < parts && !err; ++part) err = fn(ctx, part, 0);
        return err;
    }
    pthread_mutex_lock(&ag_pool.lock);
    int helpers = ag_pool_grow(threads - 1); /* may exceed threads - 1: another program made them */
    if (helpers > threads - 1) helpers = threads - 1;
    uint32_t generation = ++ag_pool.generation;
    ag_pool.wanted = helpers < parts - 1 ? helpers : (int)(parts - 1);
    ag_pool.joined = 0;
    ag_pool.fn = fn;
    ag_pool.ctx = ctx;
    ag_pool.fp_control = ag_fp_control();
    atomic_store(&ag_pool.done, 0);
    atomic_store(&ag_pool.err, 0);
    atomic_store_explicit(&ag_pool.claim, (uint64_t)generation << 32 | (uint64_t)parts << 16,
                          memory_order_release);
    if (ag_pool.wanted > 0) pthread_cond_broadcast(&ag_pool.wake);
    pthread_mutex_unlock(&ag_pool.lock);
    const int64_t start = ag_now_ns(), ran = ag_work(generation, parts, 0), worked = ag_now_ns() - start;
    int64_t waited = 0;
    if (atomic_load_explicit(&ag_pool.done, memory_order_acquire) < parts) {
        pthread_mutex_lock(&ag_pool.lock);
        while (atomic_load_explicit(&ag_pool.done, memory_order_acquire) < parts)
            pthread_cond_wait(&ag_pool.finished, &ag_pool.lock);
        pthread_mutex_unlock(&ag_pool.lock);
        waited = ag_now_ns() - start - worked;
    }
    ag_pool_judge(ran, worked, waited);
    int err = atomic_load(&ag_pool.err);
    atomic_flag_clear(&ag_pool.busy);
    return err;
}

/* Run fn(ctx, part, worker) for every part in [0, parts), on up to ``threads`` threads (the caller's included;
 * only the caller's while the pool backs off). Returns 0 or the first error code a part returned. Touches no
 * Python object: callers release the GIL. */
static int ag_parallel(int64_t parts, int threads, ag_part_fn fn, void *ctx) {
    return ag_pool_run(parts, ag_pool_backing_off() ? 1 : threads, fn, ctx);
}

/* How many parts to cut ``units`` (rows, columns) into for ``threads`` threads: a few per thread, so that
 * threads that arrive late or run slowly leave their share to the others. */
static int64_t ag_parts_for(int64_t units, int threads) {
    int64_t parts = (int64_t)threads * 4;
    if (parts > units) parts = units;
    return parts > AG_MAX_PARTS ? AG_MAX_PARTS : parts;
}
