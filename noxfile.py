"""Nox sessions for the Arignote monorepo: per-package tests, combinations, integration, lint, wheels.

Sibling dependencies are read from each package's pyproject.toml: a requirement on a distribution named
``arignote*`` is a sibling, installed from its local folder (never from PyPI, never editable).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import nox
import nox.command
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"

ROOT = Path(__file__).resolve().parent
REPORTS = ROOT / ".nox-reports"
#: one C module cache for every session's tests (codegen-c's and nn-extras' C tests read it): the kernels the
#: first session builds are not rebuilt by each combination that runs the same tests again
TEST_C_CACHE = ROOT / ".nox" / "test-c-cache"
DIST = ROOT / "dist"
SIBLING_PREFIX = "arignote"


@dataclass(frozen=True)
class Package:
    """One distribution under packages/, as its pyproject.toml declares it."""

    folder: str
    dist: str
    import_name: str
    siblings: tuple[str, ...]
    third_party: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"./packages/{self.folder}"

    @property
    def tests(self) -> str:
        return f"packages/{self.folder}/tests"


def is_sibling(requirement: Requirement) -> bool:
    return canonicalize_name(requirement.name).startswith(SIBLING_PREFIX)


def _read_package(pyproject: Path) -> Package:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    requirements = [Requirement(text) for text in data["project"].get("dependencies", [])]
    siblings = tuple(canonicalize_name(r.name) for r in requirements if is_sibling(r))
    third_party = tuple(str(r) for r in requirements if not is_sibling(r))
    version_file = Path(data["tool"]["hatch"]["version"]["path"])
    return Package(
        folder=pyproject.parent.name,
        dist=canonicalize_name(data["project"]["name"]),
        import_name=version_file.parent.name,
        siblings=siblings,
        third_party=third_party,
    )


PACKAGES: dict[str, Package] = {
    p.folder: p for p in map(_read_package, sorted(ROOT.glob("packages/*/pyproject.toml")))
}
BY_DIST: dict[str, Package] = {p.dist: p for p in PACKAGES.values()}


def closure(folders: Iterable[str]) -> list[Package]:
    """The packages in ``folders`` and their sibling dependencies, transitively, dependencies first."""
    ordered: dict[str, Package] = {}

    def visit(package: Package) -> None:
        if package.dist in ordered:
            return
        for dist in package.siblings:
            if dist not in BY_DIST:
                raise ValueError(f"{package.dist} depends on {dist}, which is not under packages/")
            visit(BY_DIST[dist])
        ordered[package.dist] = package

    for folder in folders:
        visit(PACKAGES[folder])
    return list(ordered.values())


ORDER = [p.folder for p in closure(PACKAGES)]
COMBOS = {
    "core+opt": ["graph-core", "graph-opt"],
    "core+grad": ["graph-core", "autograd-sym"],
    "core+c": ["graph-core", "codegen-c"],
    "core+grad+nn": ["graph-core", "autograd-sym", "nn-extras"],
    "full": ORDER,
}
nox.options.sessions = [*(f"tests-{folder}" for folder in ORDER), "combos", "integration", "lint", "build", "docs"]


def local(packages: Iterable[Package], extras: Mapping[str, str] | None = None) -> list[str]:
    """Requirements installing ``packages`` from their folders, e.g. ``./packages/graph-opt[test]``."""
    extras = extras or {}
    return [p.path + (f"[{extras[p.folder]}]" if p.folder in extras else "") for p in packages]


def pytest(session: nox.Session, tests: str, label: str) -> None:
    """Run pytest on ``tests``, writing a JUnit report named after the session and ``label``."""
    REPORTS.mkdir(exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{session.name}--{label}").strip("_")
    session.run(
        "pytest",
        tests,
        f"--junitxml={REPORTS / slug}.xml",
        "-o",
        f"junit_suite_name={session.name}:{label}",
        *session.posargs,
        success_codes=[0, 5],
        # every rewrite rule that fails is an error in the tests, not a warning (the meta-package's modes read it)
        env={"ARIGNOTE_TEST_CACHE_DIR": str(TEST_C_CACHE), "ARIGNOTE_STRICT_REWRITES": "1"},
    )


def run_each(session: nox.Session, steps: Mapping[str, Callable[[], object]]) -> None:
    """Run every step even when some fail, then fail the session naming the steps that failed."""
    failed = []
    for name, step in steps.items():
        try:
            step()
        except nox.command.CommandFailed:
            failed.append(name)
    if failed:
        session.error(f"failed: {', '.join(failed)}")


# Summaries printed after a package's tests: graph-core's conformance suite (ops, cases, dtypes).
REPORTS_AFTER_TESTS = {"graph-core": ["python", "-m", "arignote_core.testing"]}


def _tests_session(folder: str) -> None:
    def run(session: nox.Session) -> None:
        session.install(*local(closure([folder]), {folder: "test"}))
        pytest(session, PACKAGES[folder].tests, folder)
        if folder in REPORTS_AFTER_TESTS:
            session.run(*REPORTS_AFTER_TESTS[folder])

    run.__doc__ = f"Test {PACKAGES[folder].dist} with only its declared sibling dependencies installed."
    nox.session(name=f"tests-{folder}")(run)


for _folder in ORDER:
    _tests_session(_folder)


# Extras beyond [test] that a combination installs: autograd-sym's gradients are compared with JAX's there.
COMBO_EXTRAS = {"core+grad": {"autograd-sym": "test,jax"}}


@nox.session
@nox.parametrize("stack", [nox.param(name, id=name) for name in COMBOS])
def combos(session: nox.Session, stack: str) -> None:
    """Install a combination of packages together and run the tests of every package installed."""
    packages = closure(COMBOS[stack])
    session.install(*local(packages, {p.folder: "test" for p in packages} | COMBO_EXTRAS.get(stack, {})))
    run_each(session, {p.folder: partial(pytest, session, p.tests, p.folder) for p in packages})


@nox.session
def integration(session: nox.Session) -> None:
    """Run integration-tests/ against the full stack: arignote[cuda] and every sibling."""
    session.install(*local(closure(ORDER), {"arignote": "cuda"}), "pytest>=8", "matplotlib")  # the plot's test
    pytest(session, "integration-tests", "integration")


#: the fuzzer's own C module cache: kernels of graphs it ran before are not compiled again
FUZZ_C_CACHE = ROOT / ".nox" / "fuzz-c-cache"


@nox.session
def fuzz(session: nox.Session) -> None:
    """The differential tester (fuzz/): random graphs in every mode against NumPy; findings in fuzz/findings/.

    Arguments after ``--`` go to it: ``nox -s fuzz -- --count 20000 --seed 1 --minutes 30``.
    """
    session.install(*local(closure(ORDER), {"arignote": "cuda"}))
    session.run("python", "-m", "arignote_fuzz", *session.posargs,
                env={"PYTHONPATH": str(ROOT / "fuzz"), "ARIGNOTE_CACHE_DIR": str(FUZZ_C_CACHE)})


# The peers the benchmarks compare against. torch is pinned to the CPU build this kind of machine holds
# offline (a plain "torch" pulls a multi-GB CUDA build); pip, not uv, finds that local file.
BENCH_PEERS = ["pytensor", "jax[cpu]", "numexpr", "numba", "torch==2.13.0", "matplotlib"]


@nox.session(venv_backend="virtualenv")
def bench(session: nox.Session) -> None:
    """Time the quick benchmarks against the CPU stack and the peers; writes benchmarks/results/."""
    session.install(*local(closure(["arignote"])), *BENCH_PEERS)
    session.run("python", "benchmarks/run.py", "--quick", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run examples/demo.py against the CPU stack."""
    session.install(*local(closure(["arignote"])))
    session.run("python", "examples/demo.py", *session.posargs)


#: what the documentation is built with (docs/conf.py), installed in the docs session only
DOCS_REQUIREMENTS = ["sphinx==8.2.3", "myst-parser==5.2.0", "furo==2025.12.19"]
#: the docs' own C module cache: the examples' kernels are not compiled again at the next build
DOCS_C_CACHE = ROOT / ".nox" / "docs-c-cache"


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (docs/) into docs/_build/html, failing on any warning (broken references and
    public names without a docstring included), then run every code example in it (Sphinx's doctest builder)."""
    session.install(*local(closure(["arignote", "codegen-cuda", "distributed"])), *DOCS_REQUIREMENTS)
    env = {"ARIGNOTE_CACHE_DIR": str(DOCS_C_CACHE), "ARIGNOTE_STRICT_REWRITES": "1"}
    sphinx = ["sphinx-build", "--fail-on-warning", "--keep-going", "--nitpicky", "--quiet"]
    run_each(session, {
        "html": partial(session.run, *sphinx, "--builder", "html", "docs", "docs/_build/html", env=env),
        "doctest": partial(session.run, *sphinx, "--builder", "doctest", "docs", "docs/_build/doctest", env=env),
    })


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the repository (ruff.toml), mypy over every package's sources (an unused ``type: ignore`` is an
    error too), and import-linter's contracts (``.importlinter``: the packages depend one way, graph-core in
    floors); reports all three."""
    session.install("ruff==0.17.6", "mypy==2.4.1", "numpy>=2.0", "import-linter==2.17")
    sources = os.pathsep.join(str(ROOT / "packages" / folder / "src") for folder in PACKAGES)
    mypy = ["mypy", "--ignore-missing-imports", "--warn-unused-ignores",
            *(arg for package in PACKAGES.values() for arg in ("-p", package.import_name))]
    run_each(session, {
        "ruff": partial(session.run, "ruff", "check", "."),
        "mypy": partial(session.run, *mypy, env={"MYPYPATH": sources}),
        "import-linter": partial(session.run, "lint-imports", env={"PYTHONPATH": sources}),
    })


EXTRA_CHECKS = {
    "codegen-c": [  # the wheel carries the C runtime, built by its hook, and it loads
        "import arignote_c.runtime as rt",
        "assert rt.prebuilt_runtime() is not None, 'the wheel carries no prebuilt C runtime that loads'",
    ],
    "graph-core": [
        "import arignote_core as ac",
        "x = ac.dvector('x')",
        "f = ac.function([x], (x * 2).sum())",
        "assert f([1.0, 2.0]) == 6.0",
    ],
}


@nox.session(venv_backend="uv")
def build(session: nox.Session) -> None:
    """Build every wheel into a fresh dist/; install each in a fresh venv with siblings only from dist/."""
    shutil.rmtree(DIST, ignore_errors=True)
    for folder in ORDER:
        session.run("uv", "build", "--wheel", "--quiet", "--out-dir", str(DIST), PACKAGES[folder].path)
    envs = Path(session.create_tmp()) / "wheel-envs"
    for folder in ORDER:
        check_wheel(session, PACKAGES[folder], envs / folder)


def check_wheel(session: nox.Session, package: Package, env: Path) -> None:
    """Install ``package``'s wheel into a fresh venv at ``env`` and import it.

    Third-party dependencies come from the index; the wheel and its siblings only from ``dist/``, bypassing
    uv's cache: it keys a wheel by file name alone, so a wheel rebuilt at the same version would otherwise be
    replaced by the copy an earlier run cached.
    """
    shutil.rmtree(env, ignore_errors=True)
    session.run("uv", "venv", "--quiet", "--python", sys.executable, str(env))
    python = str(env / ("Scripts" if sys.platform == "win32" else "bin") / "python")
    third_party = sorted({req for p in closure([package.folder]) for req in p.third_party})
    pip = ["uv", "pip", "install", "--quiet", "--python", python]
    session.run(*pip, *third_party)
    session.run(*pip, "--no-cache", "--no-index", "--find-links", str(DIST), package.dist)
    name = package.import_name
    checks = [
        f"import {name}",
        f"print({name}.__name__, {name}.__version__)",
        *EXTRA_CHECKS.get(package.folder, []),
    ]
    session.run(python, "-c", "; ".join(checks), external=True)
