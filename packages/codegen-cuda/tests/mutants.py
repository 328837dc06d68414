"""Broken copies of a node's kernel, run through the node's own runner on the emulated device: the tests that a
bug in index arithmetic, a reduction tree or a vector path fails CI share this harness."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from arignote_c.cache import ModuleCache
from arignote_core.graph import Apply
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.emulation.build import EmulatedLibrary, find_cxx
from arignote_cuda.emulation.driver import EmulatedDriver
from arignote_cuda.lowering import lower
from arignote_cuda.memory import MemoryPool
from arignote_cuda.plan import Geometry, LaunchContext

#: two warps, three blocks: the mutants' launch
MUTANT_GEOMETRY = Geometry(64, 3)


def run_mutant(cache_dir: Path, node: Apply, values: list[Any], old: str, new: str,
               count: int = 1) -> list[np.ndarray]:
    """``node``'s outputs for ``values`` (uploaded where the plan reads them on the device) from its kernel with
    the first ``count`` occurrences (-1: all) of ``old`` replaced by ``new``, in its text and its helpers."""
    plan = lower(node)
    (kernel,) = plan.kernels
    helpers = {name: text.replace(old, new, count) for name, text in kernel.helpers.items()}
    assert old in kernel.text or helpers != kernel.helpers, old
    name = kernel.name + "_mutant" + str(abs(hash((old, new, count))))
    text = kernel.text.replace(old, new, count).replace(kernel.name, name)
    mutant = replace(kernel, name=name, text=text, helpers=helpers)
    driver = EmulatedDriver(EmulatedLibrary(ModuleCache(cache_dir), find_cxx()))
    launcher = driver.get_function(driver.load_module([mutant]), mutant)
    pool = MemoryPool(driver)
    err = DeviceArray.from_host(pool, np.zeros(1, dtype=np.int32))
    ctx = LaunchContext(driver, {mutant.name: launcher}, pool, MUTANT_GEOMETRY, err.pointer)
    operands = set(plan.operands)
    args = [DeviceArray.from_host(pool, v) if i in operands else v for i, v in enumerate(values)]
    result = plan.run(replace(plan, kernels=(mutant,)), args, ctx)
    assert result is not None
    return [out.get() for out in result]
