"""Every kernel the conformance table needs compiles to PTX (NVRTC from PyPI; no toolkit, driver or GPU), and the
PTX has each kernel's entry point and no local memory (the index loops are unrolled over constant indices), but
for the trigonometric functions' own."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

import arignote_core as ac
from arignote_c.cache import ModuleCache
from arignote_cuda.collect import KernelCollector, compile_ptx
from arignote_cuda.kernels import DeviceKernel
from arignote_cuda.lowering import lower
from arignote_cuda.nvcc import find_nvcc
from arignote_cuda.nvrtc import find_nvrtc
from arignote_cuda.ptx import PtxBuilder, module_text

nvrtc = pytest.mark.skipif(find_nvrtc() is None, reason="no NVRTC (pip install nvidia-cuda-nvrtc-cu12)")


def _entries(ptx: str) -> set[str]:
    return set(re.findall(r"\.entry\s+(\w+)\(", ptx))


#: CUDA's sin, cos and tan (and the Bessel functions built on them) keep the slow path of their argument
#: reduction in local memory; every other kernel must use none
_TRIG = re.compile(r"\b(sin|cos|tan|j0|j1)f?\(")


def _uses_trig(kernel: DeviceKernel) -> bool:
    return any(_TRIG.search(text) for text in [kernel.text, *kernel.helpers.values()])


@nvrtc
def test_every_conformance_kernel_compiles_to_ptx(conformance_kernels: tuple[KernelCollector, KernelCollector],
                                                  cache_dir: Path) -> None:
    kernels = {**conformance_kernels[0].kernels, **conformance_kernels[1].kernels}
    assert len(kernels) > 1000
    ordered = [kernels[name] for name in sorted(kernels)]
    builder = PtxBuilder(find_nvrtc(), ModuleCache(cache_dir))
    for trig in (False, True):
        for chunk, ptx in compile_ptx([k for k in ordered if _uses_trig(k) == trig], builder):
            assert _entries(ptx) == {k.name for k in chunk}
            assert trig or ".local" not in ptx, "a kernel uses local memory"


def test_nvcc_compiles_the_same_module() -> None:
    found = find_nvcc()
    if found is None:
        pytest.skip("no nvcc")
    x = ac.fmatrix("x")
    kernels = [k for node in [ac.exp(x).owner, x.max(axis=0).owner] for k in lower(node).kernels]
    with tempfile.TemporaryDirectory() as root:
        ptx = PtxBuilder(found, ModuleCache(Path(root))).build(module_text(kernels))
    assert _entries(ptx) == {k.name for k in kernels}
