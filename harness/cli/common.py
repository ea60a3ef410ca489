"""What every gpc-assure command shares: its name, the exit codes (the README's table), one-line
messages, and the settings or a configuration error."""

from __future__ import annotations

import sys

from harness.settings import ConfigError, check_reference_faults, load_settings

PROG = "gpc-assure"
OK, NONCONFORMANT, BROKEN, NO_REPORT, CONFIGURATION, NOTHING_SELECTED, INTERRUPTED = 0, 1, 2, 3, 4, 5, 130


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def settings_or_none():
    """The run's settings, or None after saying what is wrong with them (exit CONFIGURATION)."""
    try:
        settings = load_settings()
        if settings.reference_faults:
            from harness.cli.fault_matrix import faults

            check_reference_faults(settings.reference_faults, [f.name for f in faults()])
        return settings
    except ConfigError as exc:
        say(f"configuration: {exc}")
        return None
