"""DIST: Arignote beyond one process (``arignote_dist``): data-parallel training over MPI against PyTorch DDP,
and a compiled expression mapped over a dask array's blocks on 1 and 2 worker processes.

MPI: the W4 model (784-500-10, tanh, softmax cross-entropy, SGD at 0.1) trained on a global batch of 1024, by
1 rank and by 2 ranks of 512 (``mpiexec -n 1|2`` of the mpich wheel, ``arignote_dist.DataParallel``), and by
PyTorch's ``DistributedDataParallel`` (gloo) on 1 and 2 processes (``torch.multiprocessing``); every process has
one thread (OMP/OpenBLAS/MKL/``ARIGNOTE_THREADS`` = 1, ``torch.set_num_threads(1)``). The launches alternate, a
round at a time; each times blocks of steps after a warm-up. Every peer starts from the same parameters, and its
loss at the first step is checked against the others'. The 2-rank job's own check, that it gives the one-process
parameters, is ``packages/distributed/tests`` (the same model at batch 256, float64, to 1e-10).

Dask: ``exp(-x**2) * sin(y) + x * y`` over 10^8 float64 elements (``arignote_dist.dask_blocks.map_blocks``) on a
``LocalCluster`` of 1 and of 2 worker processes of one thread, the inputs generated and held on the workers
beforehand; the time is that of the whole result computed and held on the workers, and the result is checked
against NumPy's ufuncs on the same blocks (the maximum difference, computed on the cluster).

``python benchmarks/workloads/dist_scaling.py`` writes ``benchmarks/results/dist.md`` (so does ``run.py`` when it
runs DIST); ``... dist_scaling.py arignote-rank DTYPE`` and ``... torch SIZE DTYPE PORT`` are the jobs it launches.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"

SIZES = (784, 500, 10)
GLOBAL_BATCH = 1024
LEARNING_RATE = 0.1
DTYPES = ("float32", "float64")
WARM_UP_STEPS = 5
STEPS_PER_BLOCK = 20
BLOCKS = 5
ROUNDS = 3
PEERS = ("arignote", "torch DDP")

DASK_ELEMENTS = 10**8
#: blocks of 100 MB (float64), the size Dask's documentation recommends: 8 blocks, 4 per worker of two
DASK_CHUNK = 125 * 10**5
#: single-worker repeats now and then take twice the median here (the machine is shared): 5, and the median
DASK_REPEATS = 5

#: one thread per process, whatever the parent process runs with
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ARIGNOTE_THREADS": "1",
              "OMP_WAIT_POLICY": "PASSIVE"}


def _data(dtype: str) -> dict[str, np.ndarray]:
    """The global batch, its labels (one-hot as well), and the starting parameters, as W4 draws them."""
    rng = np.random.default_rng(3)
    n_in, n_hidden, n_out = SIZES
    labels = rng.integers(0, n_out, GLOBAL_BATCH)
    return {
        "x": rng.standard_normal((GLOBAL_BATCH, n_in)).astype(dtype),
        "labels": labels, "y": np.eye(n_out, dtype=dtype)[labels],
        "W1": (rng.standard_normal((n_in, n_hidden)) * 0.05).astype(dtype),
        "b1": np.zeros(n_hidden, dtype),
        "W2": (rng.standard_normal((n_hidden, n_out)) * 0.05).astype(dtype),
        "b2": np.zeros(n_out, dtype),
    }


def _blocks(step: Any, barrier: Any, seconds_in_allreduce: Any) -> list[dict[str, float]]:
    """Warm-up, then ``BLOCKS`` timed blocks of ``STEPS_PER_BLOCK`` steps, each started together by all ranks."""
    for _ in range(WARM_UP_STEPS):
        step()
    blocks = []
    for _ in range(BLOCKS):
        barrier()
        before = seconds_in_allreduce()
        start = time.perf_counter()
        for _ in range(STEPS_PER_BLOCK):
            step()
        seconds = time.perf_counter() - start
        blocks.append({"seconds": seconds, "allreduce": seconds_in_allreduce() - before})
    return blocks


# -- the jobs ------------------------------------------------------------------------------------------------------

class _TimedComm:
    """A communicator that adds up the seconds its allreduces take (waiting for the other ranks included)."""

    def __init__(self, comm: Any) -> None:
        self.comm, self.seconds = comm, 0.0
        self.rank, self.size = comm.rank, comm.size

    def allreduce_sum(self, buffer: np.ndarray) -> None:
        start = time.perf_counter()
        self.comm.allreduce_sum(buffer)
        self.seconds += time.perf_counter() - start

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        self.comm.broadcast(buffer, root)

    def barrier(self) -> None:
        self.comm.barrier()

    def abort(self, code: int = 1) -> Any:
        self.comm.abort(code)


def arignote_rank(dtype: str) -> None:
    """One rank of the Arignote job (under ``mpiexec``): rank 0 prints every rank's blocks as JSON."""
    from mpi4py import MPI

    import arignote as ar
    import arignote_dist as ad

    comm = _TimedComm(ad.world())
    d = _data(dtype)
    params = [ar.shared(d[k].copy(), name=k) for k in ("W1", "b1", "W2", "b2")]
    w1, b1, w2, b2 = params
    x, y = ar.matrix("x", dtype=dtype), ar.matrix("y", dtype=dtype)
    logits = ar.tanh(x @ w1 + b1) @ w2 + b2
    shifted = logits - ar.max(logits, axis=1, keepdims=True)
    log_p = shifted - ar.log(ar.sum(ar.exp(shifted), axis=1, keepdims=True))
    loss = -ar.mean(ar.sum(y * log_p, axis=1))
    dp = ad.DataParallel([x, y], loss, params, LEARNING_RATE, comm=comm)
    local = GLOBAL_BATCH // comm.size
    mine = slice(comm.rank * local, (comm.rank + 1) * local)
    xs, ys = np.ascontiguousarray(d["x"][mine]), np.ascontiguousarray(d["y"][mine])
    first_loss = dp.step(xs, ys)
    blocks = _blocks(lambda: dp.step(xs, ys), comm.barrier, lambda: comm.seconds)
    everyone = MPI.COMM_WORLD.gather(blocks, root=0)
    if comm.rank == 0:
        print(json.dumps({"first_loss": first_loss, "ranks": everyone}))


def _torch_rank(rank: int, size: int, dtype: str, port: int, out: str) -> None:
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=size)
    d = _data(dtype)
    model = torch.nn.Sequential(torch.nn.Linear(*SIZES[:2]), torch.nn.Tanh(), torch.nn.Linear(*SIZES[1:]))
    model = model.to(getattr(torch, dtype))
    with torch.no_grad():
        for layer, w, b in ((model[0], "W1", "b1"), (model[2], "W2", "b2")):
            layer.weight.copy_(torch.from_numpy(d[w].T.copy()))
            layer.bias.copy_(torch.from_numpy(d[b]))
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=LEARNING_RATE)
    local = GLOBAL_BATCH // size
    mine = slice(rank * local, (rank + 1) * local)
    xs, labels = torch.from_numpy(d["x"][mine].copy()), torch.from_numpy(d["labels"][mine].copy())

    def step() -> Any:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(ddp(xs), labels)
        loss.backward()
        optimizer.step()
        return loss

    first = step().detach().reshape(1)
    dist.all_reduce(first)
    blocks = _blocks(step, dist.barrier, lambda: 0.0)
    everyone: list[Any] = [None] * size
    dist.all_gather_object(everyone, blocks)
    if rank == 0:
        Path(out).write_text(json.dumps({"first_loss": float(first[0]) / size, "ranks": everyone}))
    dist.destroy_process_group()


def torch_job(size: int, dtype: str, port: int) -> None:
    """The PyTorch DDP job: ``size`` processes (``torch.multiprocessing``); prints rank 0's JSON."""
    import tempfile

    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "out.json")
        mp.spawn(_torch_rank, args=(size, dtype, port, out), nprocs=size, join=True)
        print(Path(out).read_text())


# -- the driver ----------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else "mpiexec"


#: launches of PyTorch DDP a round may make: now and then one of its gloo processes dies of SIGABRT (one launch in
#: several here, each on a fresh port); a launch that fails is made again, and said so on stderr
TORCH_TRIES = 3


def _launch(peer: str, size: int, dtype: str) -> dict[str, Any]:
    env = {**os.environ, **ONE_THREAD}
    for attempt in range(1, 1 + (TORCH_TRIES if peer != "arignote" else 1)):
        if peer == "arignote":
            command = [_mpiexec(), "-n", str(size), sys.executable, __file__, "arignote-rank", dtype]
        else:
            command = [sys.executable, __file__, "torch", str(size), dtype, str(_free_port())]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode == 0:
            break
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"DIST {peer} on {size}, launch {attempt} failed: {last}", file=sys.stderr)
    else:
        raise RuntimeError(f"{peer} on {size}: {last}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _throughput(job: dict[str, Any]) -> float:
    """Examples per second of the job's median block (a block lasts as long as its slowest rank)."""
    seconds = [max(rank[k]["seconds"] for rank in job["ranks"]) for k in range(BLOCKS)]
    return GLOBAL_BATCH * STEPS_PER_BLOCK / statistics.median(seconds)


def _allreduce_share(job: dict[str, Any]) -> float:
    return statistics.median(b["allreduce"] / b["seconds"] for rank in job["ranks"] for b in rank)


def measure_mpi(dtype: str, rounds: int = ROUNDS) -> dict[str, Any]:
    """Per peer and number of processes, each round's throughput; Arignote's allreduce share on 2 ranks."""
    jobs: dict[tuple[str, int], list[dict[str, Any]]] = {(p, n): [] for p in PEERS for n in (1, 2)}
    order = [(p, n) for p in PEERS for n in (1, 2)]
    for r in range(rounds):
        for key in order if r % 2 == 0 else order[::-1]:
            jobs[key].append(_launch(key[0], key[1], dtype))
            print(f"DIST {dtype} {key[0]} x{key[1]}: {_throughput(jobs[key][-1]):.0f} examples/s", file=sys.stderr)
    losses = [job["first_loss"] for runs in jobs.values() for job in runs]
    if max(losses) - min(losses) > 1e-4 * abs(losses[0]):
        raise RuntimeError(f"the peers' first losses differ: {losses}")
    return {"throughput": {key: [_throughput(job) for job in runs] for key, runs in jobs.items()},
            "allreduce": [_allreduce_share(job) for job in jobs["arignote", 2]], "loss": losses[0]}


def measure_dask(n: int = DASK_ELEMENTS, chunk: int = DASK_CHUNK, repeats: int = DASK_REPEATS) -> dict[str, Any]:
    """Seconds of each repeat on 1 and on 2 workers, the largest difference from NumPy, and the blocks per
    worker."""
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    import arignote as ar
    from arignote_dist.dask_blocks import map_blocks

    x, y = ar.dvector("x"), ar.dvector("y")
    f = ar.function([x, y], ar.exp(-x**2) * ar.sin(y) + x * y)
    out: dict[str, Any] = {"seconds": {}, "max_diff": 0.0, "blocks": {}}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          env=ONE_THREAD) as cluster, Client(cluster) as client:
            xs, ys = _inputs_on(client, n, chunk)
            times = []
            for k in range(repeats + 1):  # the first loads the function on the workers: not timed
                start = time.perf_counter()
                # a new name each time: the same keys would find the last repeat's result still held
                result = client.persist(map_blocks(f, xs, ys, name=f"dist-{workers}-{k}"))
                wait(result)
                if k:
                    times.append(time.perf_counter() - start)
                if k == repeats:
                    out["blocks"][workers] = [len(keys) for keys in client.has_what().values()]
                    reference = da.exp(-xs**2) * da.sin(ys) + xs * ys
                    diff = float(abs(result - reference).max().compute())
                    out["max_diff"] = max(out["max_diff"], diff)
                del result
            out["seconds"][workers] = times
    return out


def _block(index: int, size: int) -> np.ndarray:
    return np.random.default_rng([5, index]).standard_normal((2, size))


def _inputs_on(client: Any, n: int, chunk: int) -> tuple[Any, Any]:
    """``x`` and ``y``, random, held on the workers: block ``k`` of both on worker ``k`` mod the number of
    workers (left to itself, the scheduler put 16 of 20 blocks on one worker of two)."""
    import operator

    import dask.array as da
    from distributed import wait

    workers = sorted(client.scheduler_info()["workers"])
    columns: list[list[Any]] = [[], []]
    for k, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        where = [workers[k % len(workers)]]
        both = client.submit(_block, k, size, workers=where)
        for i in (0, 1):
            part = client.submit(operator.getitem, both, i, workers=where)
            columns[i].append(da.from_delayed(part, shape=(size,), dtype=np.float64))
    xs, ys = (da.concatenate(column) for column in columns)
    wait(client.futures_of(xs) + client.futures_of(ys))
    return xs, ys


def _spread(values: list[float]) -> str:
    mid = statistics.median(values)
    return f"±{100 * (max(values) - min(values)) / (2 * mid):.0f}%"


def section() -> str:
    """DIST's section of the report, in Markdown; the load averages before and after say how busy the machine
    was (processes of others share the cores: 2 processes on 2 cores scale only when nothing else runs)."""
    load_before = os.getloadavg()
    lines = ["### DIST: data-parallel training over MPI (2 ranks against 1, PyTorch DDP) and Dask over 2 workers",
             "", *(f"{line}\n" for line in __doc__.split("\n\n")[1:3])]
    for dtype in DTYPES:
        mpi = measure_mpi(dtype)
        tp = mpi["throughput"]
        lines += [f"MLP 784-500-10, {dtype}, global batch {GLOBAL_BATCH}, {ROUNDS} rounds of launches, each the "
                  f"median of {BLOCKS} blocks of {STEPS_PER_BLOCK} steps (first loss {mpi['loss']:.5f}, every peer):",
                  "", "| peer | 1 process | 2 processes | speed-up (median of rounds) | rounds' speed-ups |",
                  "|---|---:|---:|---:|---|"]
        for peer in PEERS:
            one, two = tp[peer, 1], tp[peer, 2]
            ratios = [b / a for a, b in zip(one, two, strict=True)]
            lines.append(f"| {peer} | {statistics.median(one):,.0f} ex/s {_spread(one)} | "
                         f"{statistics.median(two):,.0f} ex/s {_spread(two)} | {statistics.median(ratios):.2f}x | "
                         f"{', '.join(f'{r:.2f}' for r in ratios)} |")
        share = mpi["allreduce"]
        lines += ["", f"Arignote on 2 ranks spends {100 * statistics.median(share):.1f}% of a step in allreduce "
                  f"(rounds: {', '.join(f'{100 * s:.1f}%' for s in share)}; the wait for the other rank included).",
                  ""]
    dask = measure_dask()
    secs = dask["seconds"]
    ratios = [a / b for a, b in zip(secs[1], secs[2], strict=True)]
    lines += [f"Dask, `exp(-x**2)*sin(y)+x*y` over {DASK_ELEMENTS:.0e} float64 elements in blocks of "
              f"{DASK_CHUNK:.3g}, {DASK_REPEATS} repeats: 1 worker {statistics.median(secs[1]):.2f} s "
              f"{_spread(secs[1])}, 2 workers {statistics.median(secs[2]):.2f} s {_spread(secs[2])}, speed-up "
              f"{statistics.median(secs[1]) / statistics.median(secs[2]):.2f}x (repeats: "
              f"{', '.join(f'{r:.2f}' for r in ratios)}); blocks per worker {dask['blocks'][2]}; largest difference "
              f"from NumPy {dask['max_diff']:.2g}.", "",
              "Load average (1, 5, 15 min) before: " + ", ".join(f"{v:.1f}" for v in load_before) + "; after: "
              + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" ({os.cpu_count()} CPUs).", ""]
    return "\n".join(lines)


def write(report: str) -> None:
    """Write ``benchmarks/results/dist.md``: ``report`` under a header naming the machine."""
    import datetime
    import platform

    header = (f"# Arignote benchmarks: DIST\n\nMeasured {datetime.date.today().isoformat()} on "
              f"{platform.machine()}, {os.cpu_count()} CPUs, one thread per process, Python "
              f"{platform.python_version()}, NumPy {np.__version__}.\n\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dist.md").write_text(header + report + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] == ["arignote-rank"]:
        arignote_rank(sys.argv[2])
    elif sys.argv[1:2] == ["torch"]:
        torch_job(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    else:
        text = section()
        print(text)
        write(text)
