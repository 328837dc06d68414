"""What a cold start costs: the runtime an install carries (built by the wheel's build hook), kernels in plain
libraries (no Python.h), and a function's new kernels split into modules compiled at once.

Runtime scenarios run in a child process (the runtime loads once per process), with the prebuilt runtime's folder
pointed at one this module builds as the hook does."""

from __future__ import annotations

import json
import sysconfig
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import child_env, run_python

from arignote_c import CBackend, CKernel, register_c_code
from arignote_c.emit.kernels import KernelSource
from arignote_c.program import MIN_KERNELS_PER_PART, build_parts
from arignote_c.runtime.source import build_prebuilt, prebuilt_name
from arignote_c.toolchain import BASE_FLAGS, EXTENSION_SUFFIX, find_compiler
from arignote_core import Apply, Op, TensorType, as_tensor, function, tensor
from arignote_core.mode import Mode

CHILD = textwrap.dedent("""
    import json, sys, warnings
    from pathlib import Path
    import numpy as np
    import arignote_c.runtime.source as source
    source.PREBUILT_DIR = Path(sys.argv[1])
    import arignote_c.runtime as runtime
    from arignote_core import function, tensor
    from arignote_core.mode import Mode
    from arignote_c import CBackend

    x = tensor("float64", (None,), "x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = function([x], (x * 3 + 0.5) ** 2, mode=Mode(backend=CBackend(), options=json.loads(sys.argv[2])))
    print(json.dumps({"right": bool(np.allclose(f(np.arange(4.0)), (np.arange(4.0) * 3 + 0.5) ** 2)),
                      "runtimes": sorted(runtime._LOADED), "warnings": [str(w.message) for w in caught]}))
""")


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the runtime built as the wheel's hook builds it."""
    folder = tmp_path_factory.mktemp("prebuilt")
    build_prebuilt(find_compiler(None), BASE_FLAGS, EXTENSION_SUFFIX,
                   [sysconfig.get_paths()["include"], np.get_include()], folder)
    return folder


def _child(folder: Path, cache: Path, **options: object) -> dict[str, object]:
    done = run_python(CHILD, str(folder), json.dumps({"cache_dir": str(cache), "threads": 1, **options}),
                      env=child_env(CC=None))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _modules(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "modules").glob("*/*/*.so"))


def test_a_prebuilt_runtime_spares_the_first_function_its_build(prebuilt: Path, tmp_path: Path) -> None:
    result = _child(prebuilt, tmp_path / "cache")
    assert result == {"right": True, "runtimes": [prebuilt_name(BASE_FLAGS, EXTENSION_SUFFIX)], "warnings": []}
    assert [m for m in _modules(tmp_path / "cache") if m.startswith("_arignote_rt_")] == []


def test_the_prebuilt_runtime_can_be_declined(prebuilt: Path, tmp_path: Path) -> None:
    result = _child(prebuilt, tmp_path / "cache", prebuilt_runtime=False)
    assert result["right"] and result["warnings"] == []
    assert result["runtimes"] != [prebuilt_name(BASE_FLAGS, EXTENSION_SUFFIX)]
    assert len([m for m in _modules(tmp_path / "cache") if m.startswith("_arignote_rt_")]) == 1


def test_a_prebuilt_runtime_that_does_not_load_is_replaced_by_a_cache_build(prebuilt: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / (prebuilt_name(BASE_FLAGS, EXTENSION_SUFFIX) + EXTENSION_SUFFIX)).write_bytes(b"\x7fELF not really")
    result = _child(broken, tmp_path / "cache")
    assert result["right"] and result["warnings"] == [] and len(result["runtimes"]) == 1  # type: ignore[arg-type]
    assert len([m for m in _modules(tmp_path / "cache") if m.startswith("_arignote_rt_")]) == 1


class Doubled(Op):
    """y = 2x, through a user kernel (which may use CPython's C API)."""

    def make_node(self, x: object) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType("float64", x.type.shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [inputs[0] * 2]


@register_c_code(Doubled)
def _doubled_c(node: Apply) -> CKernel:
    return CKernel(body="""
    for (int64_t i = 0; i < in[0].shape[0]; ++i)
        ((double *)out[0].data)[i] = 2 * *(const double *)(in[0].data + i * in[0].strides[0]);
    return 0;""")


def _module_files(f: object, cache: Path) -> list[str]:
    names = f.executable.info.modules  # type: ignore[attr-defined]
    return sorted(p.name for p in (cache / "modules").glob("*/*/*") if p.name.split(".")[0] in names)


def test_generated_kernels_are_plain_libraries_and_user_kernels_extension_modules(c_mode, cache_dir: Path) -> None:
    x = tensor("float64", (None,), "x")
    plain = function([x], x * 1.8125 + np.pi, mode=c_mode)
    np.testing.assert_allclose(plain(np.arange(3.0)), np.arange(3.0) * 1.8125 + np.pi)
    files = _module_files(plain, cache_dir)
    assert files and all(f.endswith(".so") and not f.endswith(EXTENSION_SUFFIX) for f in files), files
    user = function([x], Doubled()(x) * 1.4375, mode=c_mode)
    np.testing.assert_allclose(user(np.arange(3.0)), np.arange(3.0) * 2 * 1.4375)
    assert any(f.endswith(EXTENSION_SUFFIX) for f in _module_files(user, cache_dir))


def _kernels(count: int) -> list[KernelSource]:
    return [KernelSource(f"ag_{k:04x}", "x" * (1 + (k * 37) % 11), "") for k in range(count)]


def test_new_kernels_are_cut_into_modules_of_similar_size_the_same_way_every_time() -> None:
    kernels = _kernels(5 * MIN_KERNELS_PER_PART)
    parts = build_parts(kernels, 3)
    assert len(parts) == 3 and sorted(k.name for p in parts for k in p) == [k.name for k in kernels]
    sizes = [sum(len(k.text) for k in p) for p in parts]
    assert max(sizes) - min(sizes) <= 11
    assert build_parts(kernels[::-1], 3) == parts
    assert len(build_parts(kernels, 1)) == 1 and build_parts([], 4) == []
    assert len(build_parts(_kernels(MIN_KERNELS_PER_PART + 1), 4)) == 1  # too few to be worth a second module


def test_a_function_with_many_new_kernels_builds_them_in_parallel_modules(tmp_path: Path) -> None:
    x = tensor("float64", (None,), "x")
    outputs = [x * (k + 0.3125) + k for k in range(3 * MIN_KERNELS_PER_PART)]
    mode = Mode(backend=CBackend(), options={"cache_dir": str(tmp_path / "cache"), "threads": 2})
    f = function([x], outputs, mode=mode)
    for k, got in enumerate(f(np.arange(3.0))):
        np.testing.assert_allclose(got, np.arange(3.0) * (k + 0.3125) + k)
    assert f.executable.info.built and len(f.executable.info.modules) == 2
