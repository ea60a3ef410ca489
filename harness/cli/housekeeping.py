"""gpc-assure init and gpc-assure cleanup: the working folder's template, and the bookings earlier runs left."""

from __future__ import annotations

import shutil

from harness.cli.common import CONFIGURATION, NO_REPORT, NONCONFORMANT, OK, PROG, say, settings_or_none
from harness.errors import HarnessError
from harness.settings import CONFIG_DIR, work_root


def init() -> int:
    """config/provider.env in the working folder, from the shipped template; never over an existing one."""
    target = work_root() / "config" / "provider.env"
    if target.exists():
        print(f"{target} is there already; left as it is")
        return OK
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG_DIR / "provider.env.example", target)
    print(f"Wrote {target}: fill it in, then run GPC_ENV=provider {PROG}. "
          f"The bundled reference provider needs no configuration: {PROG} alone assures it.")
    return OK


def cleanup() -> int:
    from harness.consumer.cleanup import clean_up
    from harness.consumer.ledger import Ledger, ledger_path
    from harness.transport.client import GpConnectClient

    settings = settings_or_none()
    if settings is None:
        return CONFIGURATION
    if settings.uses_reference_provider:
        print("clean-up: nothing to do; the bundled reference provider's bookings end with its run")
        return OK
    path = ledger_path(settings.base_url)
    if not path.exists():
        print(f"clean-up: no ledger for {settings.base_url}; this harness has booked nothing there")
        return OK
    client = GpConnectClient(settings, settings.base_url)
    try:
        outcome = clean_up(client, Ledger(path, settings.base_url))
    except HarnessError as exc:
        say(f"clean-up: {exc}")
        return NO_REPORT
    finally:
        client.close()
    print(outcome.line())
    return NONCONFORMANT if outcome.problems else OK
