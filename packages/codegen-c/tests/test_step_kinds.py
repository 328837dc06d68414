"""The step protocol exists once, in ``runtime.source``: the step kinds, from which the runtime's C enum is
generated, and every kind's named parameters with their mode constants, from which the C names of their
positions are generated (the executor reads parameters by those names only)."""

from __future__ import annotations

import re

import pytest

import arignote_core as ac
from arignote_c.lowering import StepPlan
from arignote_c.runtime.source import (
    HERE,
    INDEX_ENTRY,
    PARAM_CONSTANTS,
    SOURCES,
    STEP_PARAMS,
    OutputShapes,
    StepKind,
    pack_params,
    param_enums,
    runtime_text,
    step_enum,
)


def test_the_c_enum_is_generated_from_step_kind_and_written_nowhere_else() -> None:
    text = runtime_text()
    assert text.count("AG_STEP_ELEMWISE = ") == 1 and step_enum() in text
    for name in SOURCES:
        assert not re.search(r"AG_STEP_\w+\s*=", (HERE / name).read_text()), name


def test_the_executor_dispatches_every_step_kind_and_no_other() -> None:
    dispatched = set(re.findall(r"case AG_STEP_(\w+):", (HERE / "dispatch.c").read_text()))
    assert dispatched == {kind.name for kind in StepKind}


def test_every_step_kind_declares_its_parameters() -> None:
    assert set(STEP_PARAMS) == set(StepKind)
    for kind, params in STEP_PARAMS.items():
        assert len(set(params.all_names)) == len(params.all_names), kind


def test_the_c_text_names_every_parameter_position_and_constant() -> None:
    text = runtime_text()
    assert param_enums() in text
    for kind, params in STEP_PARAMS.items():
        for position, name in enumerate(params.all_names):
            assert f"AG_{kind.name}_{name.upper()} = {position}" in text
    for position, name in enumerate(INDEX_ENTRY):
        assert f"AG_INDEX_ENTRY_{name.upper()} = {position}" in text
    assert f"AG_INDEX_ENTRY_SIZE = {len(INDEX_ENTRY)}" in text
    assert "AG_OUTPUT_SHAPES_WITHOUT_AXIS = 2" in text
    for constants in PARAM_CONSTANTS:
        for member in constants:
            assert re.search(rf"AG_\w+_{member.name} = {member.value}\b", text), member


def test_the_executor_reads_parameters_by_name_only() -> None:
    for name in SOURCES:
        assert not re.search(r"\bip\s*(\[\s*\d|\+\s*\d)", (HERE / name).read_text()), name


@pytest.mark.parametrize("kind", list(StepKind), ids=lambda k: k.name)
def test_packing_by_name_follows_the_declared_order(kind: StepKind) -> None:
    params = STEP_PARAMS[kind]
    values: dict[str, int | tuple[int, ...]] = {name: 10 + i for i, name in enumerate(params.names)}
    if params.rest is not None:
        values[params.rest] = (7, -1, 5)
    shuffled = dict(reversed(values.items()))
    expected = tuple(10 + i for i in range(len(params.names))) + ((7, -1, 5) if params.rest else ())
    assert pack_params(kind, shuffled) == expected


def test_packing_rejects_a_wrong_name_or_form() -> None:
    with pytest.raises(ValueError, match=r"GEMM.*missing \['in_place'\], unknown \['in_plac'\]"):
        pack_params(StepKind.GEMM, dict(trans_a=1, trans_b=0, in_plac=0))
    with pytest.raises(ValueError, match="missing"):
        pack_params(StepKind.REDUCE, dict(ndim=2, no_identity=0, naxes=1))
    with pytest.raises(TypeError, match="'ndim'"):
        pack_params(StepKind.ELEMWISE, dict(ndim=(1, 2)))
    with pytest.raises(TypeError, match="'order'"):
        pack_params(StepKind.DIMSHUFFLE, dict(in_ndim=1, out_ndim=1, order=0))


def test_a_step_plan_packs_its_parameters_when_made() -> None:
    x = ac.tensor("float64", (None,), "x")
    node = (x * 2).owner
    plan = StepPlan(StepKind.ARRAY, node, [x], params=dict(shape_arg=0, output_shapes=OutputShapes.WITHOUT_AXIS))
    assert plan.ip == (2, 0) and not plan.may_overwrite_input
    with pytest.raises(ValueError, match="ARRAY"):
        StepPlan(StepKind.ARRAY, node, [x], params=dict(mode=2))


def test_a_step_with_an_in_place_parameter_may_overwrite_its_input() -> None:
    x = ac.tensor("float64", (None,), "x")
    plan = StepPlan(StepKind.GEMM, (x * 2).owner, [x], params=dict(trans_a=1, trans_b=0, in_place=0))
    assert plan.may_overwrite_input and plan.ip == (1, 0, 0) and plan.in_place_ip() == (1, 0, 1)
