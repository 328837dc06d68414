"""Total the JUnit XML reports in a folder; print one line: ``N passed, M failed[, K skipped]``."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def totals(folder: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) summed over every <testsuite> of every report; errors count as failed."""
    tests = failed = skipped = 0
    for report in sorted(folder.glob("*.xml")):
        root = ET.parse(report).getroot()
        for suite in root.iter("testsuite"):
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def main() -> None:
    passed, failed, skipped = totals(Path(sys.argv[1]))
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))


if __name__ == "__main__":
    main()
