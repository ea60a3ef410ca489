"""Keeps README.md short and true: at most 200 lines, every relative link in it and in docs/ leads to a file
(and heading) that exists, and every command it shows is one this project has."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

import pytest

from harness.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_LINES = 200

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_MAKE_RULE = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)", re.M)
# The first words of a command line: what the README may show and how each is checked.
GPC_ASSURE = ("gpc-assure", ".venv/bin/gpc-assure")
PYTHONS = ("python", "python3", ".venv/bin/python")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _without_fences(text: str) -> str:
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    plain = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in _HEADING.findall(_without_fences(_text(path)))}


def relative_links(path: Path) -> list[str]:
    return [target for target in _LINK.findall(_without_fences(_text(path)))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)]


def make_targets() -> set[str]:
    makefile = _text(ROOT / "Makefile")
    targets = set()
    for match in _MAKE_RULE.finditer(makefile):
        targets.update(t for t in match.group(1).split() if not t.startswith("."))
    return targets


def cli_commands() -> set[str]:
    subparsers = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(subparsers.choices)


def command_lines(text: str) -> list[str]:
    """Each line of each fenced code block, and each inline code span that starts with a command."""
    lines = [line for block in _FENCE.findall(text) for line in block.splitlines() if line.strip()]
    for span in _INLINE.findall(_without_fences(text)):
        words = shlex.split(span, comments=True) if _quotes_balanced(span) else span.split()
        words = _drop_assignments(words)
        if words and words[0] in ("make", *GPC_ASSURE, *PYTHONS):
            lines.append(span)
    return lines


def _quotes_balanced(span: str) -> bool:
    try:
        shlex.split(span)
    except ValueError:
        return False
    return True


def _drop_assignments(words: list[str]) -> list[str]:
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    return words


def command_problem(line: str, targets: set[str], commands: set[str]) -> str | None:
    """Why `line` is not a command this project has, or None."""
    words = _drop_assignments(shlex.split(line, comments=True))
    if not words:
        return None
    program, args = words[0], words[1:]
    if program == "make":
        unknown = [a for a in args if not a.startswith("-") and "=" not in a and a not in targets]
        return f"make has no target {', '.join(unknown)}" if unknown else None
    if program in PYTHONS and args[:2] == ["-m", "harness"]:
        program, args = "gpc-assure", args[2:]
    if program in GPC_ASSURE:
        return _gpc_assure_problem(args, commands)
    if program in PYTHONS:
        if args[:1] == ["-m"] and len(args) > 1:
            return None if importlib.util.find_spec(args[1]) else f"no module {args[1]}"
        if args and not args[0].startswith("-"):
            return None if (ROOT / args[0]).is_file() else f"no file {args[0]}"
        return "a python command without a module or a file"
    return f"{program} is not a command of this project (make, gpc-assure, python)"


def _gpc_assure_problem(args: list[str], commands: set[str]) -> str | None:
    if not args or args[0].startswith("-") or args[0] == "assure":
        return None  # assure, the default command: its options pass through to pytest
    if args[0] not in commands:
        return f"gpc-assure has no command {args[0]}"
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.parser().parse_args(args)
        except SystemExit as exc:
            return None if exc.code == 0 else f"gpc-assure {' '.join(args)}: not options it accepts"
    return None


def test_readme_has_at_most_200_lines():
    lines = _text(README).count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path):
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: {linked.relative_to(ROOT)} has no heading #{anchor}")
    assert not broken, "\n".join(broken)


def test_docs_are_there_and_linked_from_the_readme():
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in relative_links(README)}
    assert DOCS, "docs/ holds no pages"
    assert [p.name for p in DOCS if p.resolve() not in linked] == []


def test_no_page_points_at_files_outside_the_project():
    outside = [f"{p.relative_to(ROOT)}: {line.strip()}" for p in (README, *DOCS)
               for line in _text(p).splitlines() if "../shared" in line]
    assert not outside, "\n".join(outside)


def test_every_command_the_readme_shows_is_one_this_project_has():
    targets, commands = make_targets(), cli_commands()
    lines = command_lines(_text(README))
    assert any(line.startswith("make assure") for line in lines)
    problems = [f"{line!r}: {why}" for line in lines if (why := command_problem(line, targets, commands))]
    assert not problems, "\n".join(problems)


def test_the_command_check_refuses_what_the_project_does_not_have():
    targets, commands = {"assure", "test"}, {"assure", "report", "cleanup", "fault-matrix", "explore"}
    assert command_problem("make assure ARGS='--req X'  # comment", targets, commands) is None
    assert command_problem("make deploy", targets, commands) == "make has no target deploy"
    assert command_problem("GPC_ENV=x .venv/bin/gpc-assure --req SLOT-TYPE-01", targets, commands) is None
    assert command_problem("gpc-assure cleanup", targets, commands) is None
    assert command_problem("gpc-assure publish", targets, commands) == "gpc-assure has no command publish"
    assert command_problem("python -m harness explore --budget 10", targets, commands) is None
    assert command_problem(".venv/bin/python tools/clock_check.py", targets, commands) is None
    assert command_problem(".venv/bin/python tools/nothing.py", targets, commands) == "no file tools/nothing.py"
    assert command_problem("curl http://x", targets, commands).startswith("curl is not a command")


def test_make_targets_and_cli_commands_are_read_from_the_project():
    assert {"assure", "test", "setup", "help"} <= make_targets()
    assert cli_commands() == set(cli.COMMANDS)


def test_slug_is_githubs_anchor():
    assert slug("Exit codes and the overall verdict") == "exit-codes-and-the-overall-verdict"
    assert slug("Bounded runs, TLS, proxies, parallel workers") == "bounded-runs-tls-proxies-parallel-workers"
    assert slug("The `gpc-assure` command") == "the-gpc-assure-command"
