"""Every conformance case passes on the reference evaluator (the same table every backend runs)."""

import inspect

import arignote_core as ac
from arignote_core.scalars import SCALAR_OPS
from arignote_core.testing import ALL_CASES, ops_exercised, parametrize_cases, run_case


@parametrize_cases()
def test_case_agrees_with_numpy(case):
    assert run_case(case) > 0


def _exercised():
    names = set()
    for case in ALL_CASES:
        names |= ops_exercised(case)
    return names


#: Op classes the table does not build directly, and why.
NOT_BUILT_DIRECTLY = {
    "ScalarOp": "scalar ops run inside Elemwise; each one is checked through its Elemwise case",
    "Composite": "a fused scalar expression made by graph-opt's fusion, not by users",
    "MatrixOp": "the abstract base of the linalg ops",
}


def test_every_public_op_class_and_scalar_op_is_exercised():
    exercised = _exercised()
    classes = {name.split("{")[0] for name in exercised}
    public = {obj.__name__ for module in (ac, ac.linalg, ac.random) for obj in vars(module).values()
              if inspect.isclass(obj) and issubclass(obj, ac.Op) and obj is not ac.Op}
    missing = public - classes - set(NOT_BUILT_DIRECTLY)
    assert not missing, f"no conformance case builds {sorted(missing)}"
    scalar = [name for name in SCALAR_OPS if f"Elemwise{{{name}}}" not in exercised]
    assert not scalar, f"no conformance case runs the scalar ops {scalar}"
