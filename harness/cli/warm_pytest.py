"""Runs of pytest in child processes forked from a warm one.

A run of the suite in a fresh interpreter spends most of a second importing pytest, the libraries its
plugins use, the FHIR models and the harness before it collects anything, and the fault matrix makes
one run per named fault. Here each run is a child forked from a multiprocessing fork server that has
imported those modules once. The child is otherwise a fresh process: its own environment, working
directory, temporary directory, standard streams (to files) and exit code, and it is stopped past its
time limit as a subprocess would be (SIGTERM first, so that its bookings are still cancelled).

Every run has plain asserts (`--assert=plain`): pytest rewrites the asserts of its plugin packages and of
the test modules only as they are first imported, and the plugin packages are among the preloaded modules
(with rewriting on, pytest would warn that they were imported already, an error under this project's
`filterwarnings = error`). A scenario's verdict does not depend on it: a failed check raises its own
message, and the verdict is recorded from the exception's type (the root conftest).

The child freezes the modules it inherits out of the garbage collector's sight (`gc.freeze`): pytest
collects garbage at its end, and a collection that walked every preloaded module cost 0.1 s a run.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

PRELOAD = (
    "pytest", "_pytest.python", "_pytest.fixtures", "_pytest.junitxml", "_pytest.terminal", "_pytest.pytester",
    "_pytest.doctest", "_pytest.legacypath", "_pytest.assertion.rewrite", "_pytest.faulthandler",
    "_pytest.helpconfig", "_pytest.pastebin", "_pytest.setuponly", "_pytest.setupplan", "_pytest.skipping",
    "_pytest.threadexception", "_pytest.tracemalloc", "_pytest.unittest", "_pytest.unraisableexception",
    "_pytest.warnings", "_pytest._argcomplete", "pdb", "readline", "faulthandler", "unittest", "tomllib",
    "packaging.version", "execnet", "gzip", "queue", "six", "certifi", "encodings.idna",
    "gherkin", "gherkin.parser", "mako.lookup", "mako.exceptions", "parse", "parse_type", "parse_type.cfparse",
    "allure_commons", "allure_commons.lifecycle", "allure_commons.logger", "allure_commons.model2",
    "xml.etree.ElementTree", "asyncio", "httpx", "jwt", "dotenv",
    "fhir.resources.STU3.bundle", "fhir.resources.STU3.appointment", "fhir.resources.STU3.slot",
    "fhir.resources.STU3.schedule", "fhir.resources.STU3.operationoutcome", "fhir.resources.STU3.location",
    "fhir.resources.STU3.organization", "fhir.resources.STU3.practitioner", "fhir.resources.STU3.patient",
    *(f"fhir.resources.STU3.{name}" for name in ("address", "codeableconcept", "coding", "contactpoint", "extension",
                                                "humanname", "identifier", "meta", "period", "reference")),
    "harness.settings", "harness.transport.client", "harness.judge.oracle", "harness.outcome.record",
    "harness.consumer.slot_search", "harness.consumer.changes", "harness.consumer.cleanup", "harness.outcome.outcomes",
    "harness.cli.bundled_provider", "harness.report.allure",
    "harness.outcome.stats",
    # pytest's plugins (entry points pytest11) and what they import; --assert=plain makes this safe.
    "pytest_bdd.plugin", "pytest_bdd.scenario", "pytest_bdd.generation", "allure_pytest_bdd.plugin",
    "xdist.plugin", "xdist.looponfail", "pytest_timeout", "anyio.pytest_plugin", "httpcore",
)

_lock = threading.Lock()
_context = None


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def _fork_server():
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            _context = context
        return _context


def _child(args: list[str], env: dict[str, str], cwd: str, out_path: str, err_path: str) -> None:
    gc.freeze()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # the fork server's was computed from its own TMPDIR
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, path in ((1, out_path), (2, err_path)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = [sys.executable, "-m", "pytest", *args]
    import pytest

    code = pytest.main(list(args))
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(int(code))


def _text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace") if os.path.exists(path) else ""


def run(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float) -> Completed:
    """`python -m pytest --assert=plain *args` with exactly this environment, in a child of the warm fork server."""
    args = ["--assert=plain", *args]
    with tempfile.TemporaryDirectory(prefix="gpc-warm-") as tmp:
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        process = _fork_server().Process(target=_child, args=(args, dict(env), str(cwd), out_path, err_path))
        process.start()
        process.join(timeout_s)
        timed_out = process.is_alive()
        if timed_out:
            process.terminate()
            process.join(120)
            if process.is_alive():
                process.kill()
                process.join()
        return Completed(process.exitcode, _text(out_path), _text(err_path), timed_out)
