/* Arignote C runtime: shared declarations.
 *
 * The runtime is one translation unit made of common.h, strided.h, services.h, pool.c, loops.c, views.c,
 * packed_gemm.c, blas.c, program.c, indexing.c, dispatch.c, object.c and scan.c (in that order). It is compiled
 * once per machine and Python/NumPy ABI, cached like any module, and holds everything that does not depend on
 * the graph: the executor (Program), the loop drivers that call the generated kernels
 * over strided and broadcast arrays, views, BLAS calls, scan loops and the Python fallback.
 *
 * Generated kernels follow two ABIs (see arignote_c/emit/kernels.py):
 *   int loop(int64_t n, char **args, const int64_t *steps);          elementwise, and reduce "accumulate"
 *   int fold(int64_t n, char **args, const int64_t *steps, char *acc);  reduce a run into one accumulator
 * where args holds one pointer per operand (inputs, then outputs) and steps their strides in elements.
 * A kernel returns 0, or an AG_ERR_* code.
 */
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AG_MAXDIMS NPY_MAXDIMS
#define AG_MAXOPS 32           /* operands of one kernel (inputs + outputs) */
#define AG_BLOCK 512           /* elements per gather/scatter block of the buffered inner loop */
#define AG_FOLD_CHUNK 4096     /* elements folded into one partial result (bounds rounding growth) */

enum { AG_ERR_NEGATIVE_POWER = 1 };

typedef int (*ag_loop_fn)(int64_t n, char **args, const int64_t *steps);
typedef int (*ag_fold_fn)(int64_t n, char **args, const int64_t *steps, char *acc);
typedef void (*ag_combine_fn)(char *acc, const char *part);

/* What the user-op ABI (kind AG_ARRAY) sees of an array: strides in bytes. */
typedef struct {
    char *data;
    int ndim;
    const int64_t *shape;
    const int64_t *strides;
    int typenum;
} ag_array;
typedef int (*ag_array_fn)(const ag_array *inputs, const ag_array *outputs);

/* Operand roles in a strided loop. */
enum { AG_IN = 1, AG_OUT = 2, AG_INOUT = 3 };

/* Where the loops may use threads and drop the GIL. */
typedef struct {
    int threads;
    int64_t parallel_threshold;  /* elements: below it, loops run on one thread */
} ag_par;

/* The thread's floating-point control: on x86, MXCSR's rounding and flush bits (its low 6 bits, the sticky
 * exception flags, are left as they are). A program compiled with flush_denormals runs with FTZ (results that
 * would be subnormal are zero) and DAZ (subnormal operands read as zero) set, as XLA runs by default; the pool's
 * helpers take the caller's control with each job, so every thread of a call computes alike. */
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define AG_FP_FLAGS 0x3fu
#define AG_FLUSH_DENORMALS 0x8040u
static unsigned ag_fp_control(void) { return _mm_getcsr() & ~AG_FP_FLAGS; }
static void ag_set_fp_control(unsigned control) { _mm_setcsr((_mm_getcsr() & AG_FP_FLAGS) | (control & ~AG_FP_FLAGS)); }
#else
#define AG_FLUSH_DENORMALS 0u
static unsigned ag_fp_control(void) { return 0; }
static void ag_set_fp_control(unsigned control) { (void)control; }
#endif

/* Where a step puts its outputs (defined in program.c): output `index` of the running step, reusing the cached
 * buffer of that slot when nobody else holds it. */
typedef struct ag_outctx ag_outctx;
static PyArrayObject *ag_alloc_output(ag_outctx *ctx, int index, int nd, const npy_intp *shape);
static PyArrayObject *ag_output_into_input(ag_outctx *ctx, int input, int nd, const npy_intp *shape);
static int ag_step_threads(const ag_outctx *ctx); /* threads the running step may use */

static int ag_set_kernel_error(int code) {
    switch (code) {
    case AG_ERR_NEGATIVE_POWER:
        PyErr_SetString(PyExc_ValueError, "Integers to negative integer powers are not allowed.");
        break;
    case -2:
        PyErr_NoMemory();
        break;
    default:
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_RuntimeError, "kernel failed with error code %d", code);
    }
    return -1;
}
