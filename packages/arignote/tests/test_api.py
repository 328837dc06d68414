"""The full-stack API: one import, modes by name, config from the environment, the CLI, pictures."""

import pickle
import subprocess
import sys
from xml.etree import ElementTree

import numpy as np
import pytest

import arignote as ar
import arignote_core
from arignote.cli import main as cli_main
from arignote.config import from_environment


def test_one_import_gives_every_part():
    for name in ["dmatrix", "function", "shared", "In", "grad", "jacobian", "hessian", "Lop", "Rop",
                 "verify_grad", "dprint", "pprint", "to_dot", "exp", "softmax", "linalg", "random"]:
        assert hasattr(ar, name), name
    assert hasattr(ar.nn, "conv2d") and hasattr(ar.random, "RandomStream") and hasattr(ar.linalg, "solve")


@pytest.mark.parametrize("mode", ["fast_run", "fast_compile", "reference", "c"])
def test_modes_agree_with_numpy(mode):
    x = ar.dmatrix("x")
    y = ar.log(1 + ar.exp(x)).sum(axis=1)
    f = ar.function([x], [y, ar.grad(y.sum(), x)], mode=mode)
    value = np.random.default_rng(0).normal(size=(3, 4))
    out, gx = f(value)
    np.testing.assert_allclose(out, np.log1p(np.exp(value)).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(gx, 1 / (1 + np.exp(-value)), rtol=1e-12)


@pytest.mark.parametrize("name", ["debug", "nan_guard"])
def test_checking_modes_are_named(name):
    """By the meta-package's own names and through the entry points graph-core's function looks in: fast_run
    (its rewrites, the C backend) checked as it runs."""
    x = ar.dvector("x")
    for f in (ar.function([x], ar.log(x), mode=name), arignote_core.function([x], ar.log(x), mode=name)):
        assert f.backend.name == "c" and f.mode.rewriter is not None
        np.testing.assert_allclose(f(np.array([1.0, np.e])), [0.0, 1.0])
        if name == "debug":
            assert f.mode.options["check"] and "Checked: every node" in f.report()
        else:
            with pytest.raises(ar.NonFiniteError, match="Elemwise{log}"):
                f(np.array([-1.0]))


def test_default_mode_compiles_to_c():
    x = ar.dvector("x")
    f = ar.function([x], ar.exp(x) * 2)
    assert f.backend.name == "c"
    assert ar.function([x], x * 2, mode="reference").backend.name == "reference"


def test_config_from_environment():
    config = from_environment({"ARIGNOTE_MODE": "reference", "ARIGNOTE_FLOATX": "float32",
                               "ARIGNOTE_THREADS": "2", "ARIGNOTE_CACHE_DIR": "/tmp/x"})
    assert (config.mode, config.floatX, config.threads, str(config.cache_dir)) == ("reference", "float32", 2,
                                                                                  "/tmp/x")
    with pytest.raises(ValueError, match="ARIGNOTE_FLOATX must be one of"):
        from_environment({"ARIGNOTE_FLOATX": "float16"})
    with pytest.raises(ValueError, match="ARIGNOTE_THREADS must be a positive integer"):
        from_environment({"ARIGNOTE_THREADS": "zero"})


def test_fast_math_and_strict_rewrites_from_the_environment():
    assert not from_environment({}).fast_math and not from_environment({}).strict_rewrites
    fast = from_environment({"ARIGNOTE_FAST_MATH": "1", "ARIGNOTE_STRICT_REWRITES": "1"})
    assert fast.fast_math and fast.strict_rewrites
    with pytest.raises(ValueError, match="ARIGNOTE_FAST_MATH must be 0 or 1"):
        from_environment({"ARIGNOTE_FAST_MATH": "yes"})
    x = ar.dvector("x")
    infinite = np.array([np.inf, 1.0])
    for mode in ["fast_run", "fast_compile"]:
        ieee = ar.function([x], x - x, mode=getattr(ar, mode)(from_environment({})))
        np.testing.assert_array_equal(ieee(infinite), [np.nan, 0.0])
        finite = ar.function([x], x - x, mode=getattr(ar, mode)(fast))
        np.testing.assert_array_equal(finite(infinite), [0.0, 0.0])


def test_floatx_sets_untyped_constructors():
    code = "import arignote as ar; print(ar.matrix().dtype, ar.dmatrix().dtype, ar.ivector().dtype)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"ARIGNOTE_FLOATX": "float32", "PATH": "/usr/bin:/bin"})
    assert done.stdout.split() == ["float32", "float64", "int32"]


def test_compiled_function_pickles_across_processes(tmp_path):
    x = ar.dvector("x")
    w = ar.shared(np.arange(3.0), name="w")
    f = ar.function([x], ar.tanh(x * w).sum(), updates={w: w + 1})
    path = tmp_path / "f.pkl"
    path.write_bytes(pickle.dumps(f))
    code = (f"import pickle, numpy as np; f = pickle.load(open({str(path)!r}, 'rb')); "
            "print(float(f(np.ones(3))), float(f(np.ones(3))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = map(float, done.stdout.split())
    assert first == pytest.approx(np.tanh(np.arange(3.0)).sum())
    assert second == pytest.approx(np.tanh(np.arange(3.0) + 1).sum())


def test_cli_info_and_cache(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ARIGNOTE_CACHE_DIR", str(tmp_path / "cache"))
    assert cli_main(["info"]) == 0
    out = capsys.readouterr().out
    assert "arignote-graph-core" in out and "compiler:" in out and "BLAS:" in out and "cache:" in out
    assert cli_main(["cache", "clear"]) == 0
    assert "removed" in capsys.readouterr().out


def test_to_dot_of_a_compiled_function_shows_fused_kernels():
    x, y = ar.dvector("x"), ar.dvector("y")
    f = ar.function([x, y], ar.exp(-(x**2)) * ar.sin(y) + x * y)
    text = ar.to_dot(f)
    assert "fused kernel" in text


@pytest.mark.parametrize("mode", ["fast_run", "fast_compile", "reference"])
def test_a_value_that_cannot_become_an_array_is_a_bad_input_in_every_mode(mode):
    class Broken:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no array today")

    x = ar.dvector("x")
    with pytest.raises(TypeError, match=r"bad input 'x' \(argument 0\).*RuntimeError: no array today"):
        ar.function([x], x * 2, mode=mode)(Broken())


def test_the_namespace_is_written_out_and_complete():
    """``__all__`` is a literal list (type checkers see it): it holds graph-core's names and every constructor,
    each bound by name."""
    import arignote_core as ac
    from arignote.api import CONSTRUCTORS

    assert len(ar.__all__) == len(set(ar.__all__)) and set(ac.__all__) <= set(ar.__all__)
    assert all(hasattr(ar, name) for name in ar.__all__)
    for name, make in CONSTRUCTORS.items():
        assert getattr(ar, name) is make, name


def test_render_draws_an_svg_without_graphviz(tmp_path, monkeypatch):
    x, y = ar.dvector("x"), ar.dvector("y")
    f = ar.function([x, y], ar.exp(-(x**2)) * ar.sin(y) + x * y)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot program on the path
    path = ar.render(f, tmp_path / "f.svg")
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "fused kernel" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    with pytest.raises(RuntimeError, match="only .svg"):
        ar.render(f, tmp_path / "f.png")
    assert (tmp_path / "f.dot").read_text().startswith("digraph")
