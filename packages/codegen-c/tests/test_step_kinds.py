"""The step kinds exist once: ``StepKind`` in Python, from which the runtime's C enum is generated."""

from __future__ import annotations

import re

from arignote_c.runtime.source import HERE, SOURCES, StepKind, runtime_text, step_enum


def test_the_c_enum_is_generated_from_step_kind_and_written_nowhere_else() -> None:
    text = runtime_text()
    assert text.count("AG_STEP_ELEMWISE = ") == 1 and step_enum() in text
    for name in SOURCES:
        assert not re.search(r"AG_STEP_\w+\s*=", (HERE / name).read_text()), name


def test_the_executor_dispatches_every_step_kind_and_no_other() -> None:
    dispatched = set(re.findall(r"case AG_STEP_(\w+):", (HERE / "dispatch.c").read_text()))
    assert dispatched == {kind.name for kind in StepKind}
