"""``python -m arignote_core.testing``: print the conformance suite's report."""

from __future__ import annotations

from . import format_report, report

print(format_report(report()))
