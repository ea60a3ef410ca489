"""Show that no unit test's outcome depends on the day it runs.

    python tools/clock_check.py JUNIT_XML [pytest args...]

JUNIT_XML is the JUnit XML of a run of the project's tests on the real clock. The unit tests run
again once per instant below, the machine's clock moved there and running on (tests/conftest.py,
--clock-at), and each test's outcome must be the one it had on the real clock; a test that run did
not include must pass. Exit 0 when every outcome is the same, 1 when one differs, 2 when a run could
not be made.

The instants: ten seconds before midnight on 30 June 2027, British Summer Time, and ten seconds before
the UK's clocks go forward on 29 March 2026 (01:00 GMT); each run passes that moment.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNIT = "tests/unit"
INSTANTS = ("2027-06-30T23:59:50+01:00", "2026-03-29T00:59:50+00:00")


def unit_outcomes(path: Path) -> dict[str, str]:
    """Each unit test's outcome (passed, failed, error or skipped), by its JUnit class name and name."""
    found = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        classname = case.get("classname", "")
        if not classname.startswith(UNIT.replace("/", ".")):
            continue
        node = f"{classname}::{case.get('name', '')}"
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        found[node] = {"failure": "failed"}.get(kinds[0], kinds[0]) if kinds else "passed"
    return found


def differences(real: dict[str, str], moved: dict[str, str]) -> list[str]:
    """One line per unit test whose outcome under the moved clock is not its outcome on the real clock."""
    lines = []
    for node, outcome in sorted(moved.items()):
        expected = real.get(node, "passed")
        if outcome != expected:
            lines.append(f"{node}: {outcome}, {expected} on the real clock")
    return lines


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    real_path, extra = Path(argv[0]), argv[1:]
    if not real_path.is_file():
        print(f"clock check: {real_path}: no such JUnit XML (run the tests on the real clock first)", file=sys.stderr)
        return 2
    real = unit_outcomes(real_path)
    failed = False
    with tempfile.TemporaryDirectory(prefix="clock-check-") as scratch:
        for instant in INSTANTS:
            moved_path = Path(scratch) / "junit.xml"
            command = [sys.executable, "-m", "pytest", UNIT, "-q", "-p", "no:cacheprovider", "--clock-at", instant,
                       "--junitxml", str(moved_path), "-o", "junit_family=xunit2", *extra]
            proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if not moved_path.is_file():
                print(f"clock check at {instant}: pytest exited {proc.returncode} with no results:\n"
                      f"{(proc.stdout + proc.stderr)[-2000:]}", file=sys.stderr)
                return 2
            moved = unit_outcomes(moved_path)
            lines = differences(real, moved)
            if lines:
                failed = True
                print(f"clock check at {instant}: {len(lines)} of {len(moved)} unit tests changed outcome:")
                print("\n".join("  " + line for line in lines))
            else:
                print(f"clock check at {instant}: {len(moved)} unit tests, every outcome as on the real clock")
            moved_path.unlink()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
