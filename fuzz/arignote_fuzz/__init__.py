"""Arignote's differential tester: random graphs over the public API, run in every mode, compared with NumPy.

``python -m arignote_fuzz --count N --seed S`` (or ``nox -s fuzz -- ...``); see fuzz/README.md.
"""
