"""The README's make commands as a user types them: `make help` lists the targets, and `make assure` with
ARGS runs the selection against the bundled provider and ends CONFORMANT (the other commands it shows are
run by their own tests: gpc-assure assure, init, cleanup and explore, and make test itself)."""

import os
import subprocess

from harness.settings import PROJECT_ROOT


def _make(*args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPC_", "PYTEST_", "MAKEFLAGS", "MAKELEVEL"))}
    env["GPC_REPORTS_DIR"] = str(tmp_path / "reports")
    return subprocess.run(["make", "--no-print-directory", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def test_make_help_lists_the_two_commands(tmp_path):
    shown = _make("help", tmp_path=tmp_path)
    listed = {line.split()[1] for line in shown.stdout.splitlines() if line.startswith("make ")}
    assert shown.returncode == 0 and {"setup", "assure", "test", "cleanup"} <= listed, shown.stdout + shown.stderr


def test_make_assure_with_args_assures_the_selection(tmp_path):
    run = _make("assure", 'ARGS=--req SLOT-TYPE-01', tmp_path=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Overall verdict: CONFORMANT" in run.stdout
    assert (tmp_path / "reports" / "html" / "requirements.html").is_file()
