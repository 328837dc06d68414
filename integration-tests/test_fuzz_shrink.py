"""A finding shrinks to the node that causes it, and its script runs alone and shows the difference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from arignote_fuzz.campaign import check_case
from arignote_fuzz.generator import generate
from arignote_fuzz.ir import Case
from arignote_fuzz.script import write_script
from arignote_fuzz.shrink import Shrinker
from arignote_fuzz.worker import Worker

MODE = "fuzz_faults:wrong_exp"


def a_large_case_with_exp(worker: Worker) -> Case:
    """The first generated case of four nodes or more, with an exp, where the planted fault shows."""
    for index in range(2000):
        case = generate(0, index)
        if len(case.graph.nodes) >= 4 and "exp" in case.graph.ops() and ("value", MODE) in {
                (f.kind, f.mode) for f in check_case(worker, case, ("reference", MODE), 30).findings}:
            return case
    raise AssertionError("no case with exp among 2000")


def test_a_finding_shrinks_to_its_cause_and_its_script_shows_it(worker: Worker, tmp_path: Path) -> None:
    case = a_large_case_with_exp(worker)
    small = Shrinker(worker, 30).shrink(case, MODE, "value", seconds=60)
    assert len(small.graph.nodes) == 1 and "exp(" in small.graph.nodes[0].template
    assert len(small.calls) == 1
    assert sum(v.data.size for v in small.calls[0].values()) <= 1

    path = tmp_path / "finding.py"
    path.write_text(write_script(small, ["reference", MODE], "test", "exp is off by one"), encoding="utf-8")
    here = str(Path(__file__).resolve().parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "NumPy:" and "reference:" in lines and f"{MODE}:" in lines
    numpy_output, reference_output, faulty_output = (lines[i + 1] for i, line in enumerate(lines)
                                                     if line.endswith(":") and not line.startswith(" "))
    assert numpy_output == reference_output != faulty_output
