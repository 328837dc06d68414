"""The backend as graph-core finds it: entry points, the clear error without a GPU, options, the report."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.mode import Mode, get_backend, get_mode
from arignote_cuda import CudaBackend, CudaUnavailable, describe
from arignote_cuda.environment import driver_and_devices, environment


def test_the_entry_points_name_the_backend_and_its_modes() -> None:
    assert isinstance(get_backend("cuda"), CudaBackend)
    assert isinstance(get_mode("cuda").backend, CudaBackend)
    assert get_mode("cuda-emulated").options["emulate"] is True


def test_without_a_gpu_cuda_names_what_is_missing() -> None:
    driver, _ = driver_and_devices()
    if driver.found is not None:
        pytest.skip("a driver is installed here")
    x = ac.dvector("x")
    with pytest.raises(CudaUnavailable, match="missing: .*driver: libcuda.so.1 does not load"):
        ac.function([x], ac.exp(x), mode="cuda")


def test_the_report_names_every_part() -> None:
    lines = describe()
    assert [line.split(":")[0] for line in lines] == ["compiler", "pycuda", "driver", "device", "cuBLAS"]
    assert all(part.found is not None or part.missing for part in environment())


def test_options_are_checked() -> None:
    x = ac.dvector("x")
    with pytest.raises(ValueError, match="multiple of 32"):
        ac.function([x], x + 1, mode=Mode(backend="cuda", options={"emulate": True, "block": 48}))


def test_the_report_says_what_ran_on_the_host(emulated: Mode) -> None:
    x = ac.dvector("x")
    f = ac.function([x], [ac.exp(x), x.argmax(), x.astype("float16") * 2], mode=emulated)
    got = f(np.arange(3.0))
    np.testing.assert_allclose(got[0], np.exp(np.arange(3.0)))
    assert got[1] == 2
    report = f.report()
    assert "emulated" in report and "no CUDA kernel for ArgReduce" in report and "float16" in report
