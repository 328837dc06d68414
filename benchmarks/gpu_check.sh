#!/usr/bin/env bash
# The CUDA backend on a real GPU, in one short run (a few minutes): install what is missing, the conformance suite
# on mode "cuda", then W1 `exp(-x**2)*sin(y)+x*y` on 10^8 float32 against a device-to-device copy of the same
# bytes measured in the same run (the bandwidth floor), and their ratio (issue 19's target: at least 0.8); and a
# 4096^3 float32 GEMM, the tiled kernel against cuBLAS in the same run (benchmarks/gpu_gemm.py; target >= 0.90).
#
#   benchmarks/gpu_check.sh          from anywhere; it runs from the repository root
#
# Environment: PYTHON (python3), WHEELS (a folder of wheels brought along, used instead of PyPI when present:
# pycuda built for this machine's Python, nvidia-cuda-nvrtc-cu12, and numpy/scipy/cffi if the machine lacks them),
# CONFORMANCE_BUDGET (seconds for the conformance suite, 300), CONFORMANCE_JOBS (processes, 8), W1_SIZE (10^8),
# GEMM_SIZE (4096).
# Without a GPU (no nvidia-smi) it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "gpu_check: no GPU here (nvidia-smi not found): nothing to check. Run it on a machine with an NVIDIA GPU."
    exit 0
fi

PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-wheels}
export CONFORMANCE_BUDGET=${CONFORMANCE_BUDGET:-300} CONFORMANCE_JOBS=${CONFORMANCE_JOBS:-8}
export W1_SIZE=${W1_SIZE:-100000000}
export GEMM_SIZE=${GEMM_SIZE:-4096}
# the packages from this tree, uninstalled: the backend is named by object, not through entry points
export PYTHONPATH="$PWD/packages/graph-core/src:$PWD/packages/graph-opt/src:$PWD/packages/codegen-c/src:$PWD/packages/codegen-cuda/src${PYTHONPATH:+:$PYTHONPATH}"
export ARIGNOTE_CACHE_DIR=${ARIGNOTE_CACHE_DIR:-$(mktemp -d)}

step() {  # step NAME COMMAND...: run it, print how long it took; its exit status is the command's
    local name=$1 start rc=0
    shift
    echo "== $name"
    start=$(date +%s%N)
    "$@" || rc=$?
    echo "== $name: $(( ($(date +%s%N) - start) / 1000000 )) ms (exit status $rc)"
    return "$rc"
}

pip_install() {
    if [ -d "$WHEELS" ]; then
        "$PYTHON" -m pip install --quiet --no-index --find-links "$WHEELS" "$@"
    elif ! "$PYTHON" -m pip install --quiet "$@"; then
        echo "gpu_check: could not install $* from PyPI; bring wheels in \$WHEELS ($WHEELS)" >&2
        return 1
    fi
}

install() {
    local missing
    missing=$("$PYTHON" -c 'import importlib.util as u; print(" ".join(m for m in ("numpy", "scipy", "cffi", "pycuda") if u.find_spec(m) is None))')
    if [ -n "$missing" ]; then
        echo "installing: $missing"
        pip_install $missing || return 1
    fi
    if ! "$PYTHON" -c 'from arignote_cuda.ptx import find_ptx_compiler; find_ptx_compiler()' 2>/dev/null; then
        echo "installing: nvidia-cuda-nvrtc-cu12"
        pip_install nvidia-cuda-nvrtc-cu12 || return 1
    fi
    if ! "$PYTHON" -c 'import sys; from arignote_cuda.cublas import find_cublas; sys.exit(find_cublas() is None)'; then
        echo "installing: nvidia-cublas-cu12 (the GEMM's reference)"
        pip_install nvidia-cublas-cu12 || echo "gpu_check: no cuBLAS: the GEMM is timed without its reference" >&2
    fi
}

describe() {
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader || return 1
    "$PYTHON" -c 'import arignote_cuda; print("\n".join(arignote_cuda.describe()))'
}

conformance() {
    "$PYTHON" - <<'PY'
"""graph-core's conformance table on mode "cuda" (the backend alone, and after graph-opt's rewrites), in
processes of their own (each with its CUDA context), within CONFORMANCE_BUDGET seconds."""
import multiprocessing
import os
import sys
import time
import traceback

BUDGET = float(os.environ["CONFORMANCE_BUDGET"])
JOBS = int(os.environ["CONFORMANCE_JOBS"])


def run_chunk(args):
    fused, indices, deadline = args
    from arignote_core.mode import Mode
    from arignote_core.testing import ALL_CASES, CaseSkipped, run_case
    from arignote_cuda import CudaBackend
    from arignote_opt import standard_rewriter

    mode = Mode(backend=CudaBackend(), rewriter=standard_rewriter() if fused else None)
    passed, skipped, failed, left = 0, 0, [], 0
    for i in indices:
        if time.time() > deadline:
            left += 1
            continue
        case = ALL_CASES[i]
        try:
            run_case(case, mode=mode)
            passed += 1
        except CaseSkipped:
            skipped += 1
        except Exception as exc:  # a failing case: listed with its first lines
            failed.append(f"{case.name} ({'fused' if fused else 'alone'}): "
                          + "".join(traceback.format_exception_only(exc))[:600])
    return passed, skipped, failed, left


if __name__ == "__main__":
    from arignote_core.testing import ALL_CASES

    deadline = time.time() + BUDGET
    chunks = [(fused, list(range(start, len(ALL_CASES), JOBS)), deadline)
              for fused in (True, False) for start in range(JOBS)]
    with multiprocessing.get_context("spawn").Pool(JOBS) as pool:  # no CUDA state crosses a fork
        results = pool.map(run_chunk, chunks, chunksize=1)
    passed = sum(r[0] for r in results)
    skipped = sum(r[1] for r in results)
    failed = [f for r in results for f in r[2]]
    left = sum(r[3] for r in results)
    for line in failed[:30]:
        print("FAILED", line)
    print(f"conformance on mode cuda: {passed} passed, {len(failed)} failed, {skipped} skipped, "
          f"{left} not run (budget {BUDGET:.0f} s), of {2 * len(ALL_CASES)} (cases x alone/fused)")
    sys.exit(1 if failed else 0)
PY
}

w1() {
    "$PYTHON" - <<'PY'
"""W1 on device-resident float32 arrays: its kernel alone (launches queued, then one synchronization), a whole
call of the compiled function (its host work and the error-flag read included), and a device-to-device copy of
x (the bandwidth floor). Bandwidths count the bytes each moves: W1 reads x and y and writes the result."""
import os
import time

import numpy as np

import arignote_core as ac
from arignote_core.mode import Mode
from arignote_cuda import CudaBackend
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.launch import run_elemwise
from arignote_opt import standard_rewriter

n = int(os.environ["W1_SIZE"])
x, y = ac.fvector("x"), ac.fvector("y")
f = ac.function([x, y], ac.exp(-(x**2)) * ac.sin(y) + x * y,
                mode=Mode(backend=CudaBackend(), rewriter=standard_rewriter(), options={"outputs": "device"}))
program = f.executable
print(program.report())
driver, pool = program.driver, program.pool
rng = np.random.default_rng(0)
xv, yv = rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)
dx, dy = DeviceArray.from_host(pool, xv), DeviceArray.from_host(pool, yv)


def timed(run, repeats=20):
    """Seconds per run: the best of 3 rounds of ``repeats`` runs queued, then one synchronization."""
    run()
    driver.synchronize()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            run()
        driver.synchronize()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


copy = DeviceArray(pool, (n,), np.float32)
t_copy = timed(lambda: driver.dtod(copy.pointer, dx.pointer, dx.nbytes))

(node, plan), = [(node, plan) for node, plan in program.steps if plan is not None]
function = driver.get_function(driver.load_module([plan.kernel]), plan.kernel)
flag = DeviceArray.from_host(pool, np.zeros(1, dtype=np.int32))
launches = []
(out,) = run_elemwise(plan, [dx, dy], pool, program.geometry, lambda *launch: launches.append(launch), flag.pointer)
(grid, block, args), = launches
t_kernel = timed(lambda: driver.launch(function, grid, block, 0, args))
t_call = timed(lambda: program([dx, dy]), repeats=5)

got, want = out.get()[:1_000_000], (np.exp(-(xv[:1_000_000] ** 2)) * np.sin(yv[:1_000_000]) + xv[:1_000_000] * yv[:1_000_000])
np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
assert flag.get()[0] == 0

copy_bw = 2 * dx.nbytes / t_copy
print(f"device-to-device copy of {dx.nbytes / 1e6:.0f} MB: {t_copy * 1e3:.3f} ms, {copy_bw / 1e9:.0f} GB/s")
for what, t in [("W1 kernel", t_kernel), ("W1 call", t_call)]:
    bw = 3 * dx.nbytes / t
    print(f"{what:9} on {n:.0e} float32: {t * 1e3:.3f} ms, {bw / 1e9:.0f} GB/s, {bw / copy_bw:.2f} of the copy's")
print(f"W1 ratio (kernel / copy bandwidth): {3 * dx.nbytes / t_kernel / copy_bw:.2f} (target >= 0.80)")
PY
}

step install install
step describe describe
status=0
step conformance conformance || status=$?
step gemm "$PYTHON" benchmarks/gpu_gemm.py || status=$?
step w1 w1
exit "$status"
