"""After a whole ``make test``: fail under the coverage floor, naming the files below it.

The floor is ``fail_under`` in pyproject's ``[tool.coverage.report]``, set just under the
suite's figure; raise it as the figure grows. Line and branch coverage of server/,
realtime/ and workers/ in this process (processes the tests start are not measured).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import coverage


def main() -> int:
    cov = coverage.Coverage()
    cov.load()
    floor = float(cov.get_option("report:fail_under") or 0)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(out))
        report = json.loads(out.read_text())
    total = report["totals"]["percent_covered"]
    under = sorted(
        (info["summary"]["percent_covered"], name)
        for name, info in report["files"].items()
        if info["summary"]["percent_covered"] < floor
    )
    for percent, name in under:
        print(f"coverage: {percent:5.1f}%  {name}")
    print(
        f"coverage: {total:.1f}% of lines and branches (floor {floor:g}%),"
        f" {len(under)} files under the floor"
    )
    return 0 if total >= floor else 1


if __name__ == "__main__":
    sys.exit(main())
