"""The error an export raises for a function the standalone C cannot compute."""


class ExportError(ValueError):
    """The function cannot be exported as standalone C: a node without a C implementation (it would run Python),
    a step kind the standalone runtime lacks, a dtype it lacks, or shared-variable updates (an export has no
    state)."""
