"""Shared variables whose value a backend keeps on a device (``device=``, ``DeviceValue``): validated, read on
the host by ``get_value``, by pickles and by backends that read host memory."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.shared import DeviceValue


class _Held(DeviceValue):
    """A value "on a device": its host copy, counting how often it is asked for."""

    def __init__(self, value: np.ndarray) -> None:
        self.value = value
        self.asked = 0

    def host(self) -> np.ndarray:
        self.asked += 1
        return self.value


def test_device_is_cpu_or_cuda() -> None:
    assert ac.shared(np.zeros(2)).device == "cpu"
    assert ac.shared(np.zeros(2), device="cuda").device == "cuda"
    with pytest.raises(ValueError, match="shared variable w: device must be 'cpu' or 'cuda', not 'gpu'"):
        ac.shared(np.zeros(2), name="w", device="gpu")


def test_a_device_value_is_read_on_the_host() -> None:
    w = ac.shared(np.zeros(3), name="w", device="cuda")
    held = _Held(np.arange(3.0))
    w.store(held)
    got = w.get_value()
    np.testing.assert_array_equal(got, np.arange(3.0))
    got[0] = 7.0                                   # a copy
    np.testing.assert_array_equal(w.get_value(borrow=True), np.arange(3.0))
    f = ac.function([], w * 2, updates={w: w + 1}, mode="reference")   # reads host memory only
    np.testing.assert_array_equal(f(), np.arange(3.0) * 2)
    np.testing.assert_array_equal(w.get_value(), np.arange(3.0) + 1)
    w.store(_Held(np.ones(3)))
    restored = pickle.loads(pickle.dumps(w))
    assert isinstance(restored.get_value(borrow=True), np.ndarray) and restored.device == "cuda"
    np.testing.assert_array_equal(restored.get_value(), np.ones(3))
    assert held.asked >= 3
