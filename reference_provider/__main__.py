"""Run the reference provider: python -m reference_provider --port 8080 [--fault NAME ...]
[--practice small|large|few-days|hub] [--latency-ms N] [--variety]."""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import uvicorn

from . import faults as fault_registry
from . import practice, slot_search
from .app import Config, create_app
from .latency import with_latency
from .store import Store
from .variety import variety_base_path, with_variety

DEFAULT_ODS = "A99901"
DEFAULT_ASID = "918999199001"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reference_provider", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=8080)
    where.add_argument("--fd", type=int, help="serve on an already-listening socket (used by the harness)")
    where.add_argument("--socket-from-stdin", action="store_true",
                       help="serve on the listening socket the harness shares on standard input (Windows)")
    parser.add_argument("--ods-code", default=DEFAULT_ODS)
    parser.add_argument("--asid", default=DEFAULT_ASID)
    parser.add_argument("--base-path", default=None,
                        help="service root path; default /<ODS>/STU3/1/gpconnect")
    parser.add_argument("--fault", action="append", default=[], help="a named fault to switch on (repeatable)")
    parser.add_argument("--list-faults", action="store_true", help="print the named faults and exit")
    parser.add_argument("--json", action="store_true", help="with --list-faults: print them as JSON")
    parser.add_argument("--practice", choices=sorted(practice.PRACTICES), default="small",
                        help="the practice served: small (about 1,000 free slots in 14 days), large (about 6,000), "
                             "few-days (the small practice's sessions on three days only) or hub (about 30,000: "
                             "the small practice beside an extended-access hub)")
    parser.add_argument("--latency-ms", type=int, default=0, metavar="N",
                        help="answer every request after N milliseconds (concurrent requests overlap)")
    parser.add_argument("--variety", action="store_true",
                        help="present the practice with conformant variety: UUID ids, shuffled entries, codings "
                             "beside text, more actors, vendor extensions, gzip and chunked answers, another "
                             "service root (reference_provider/variety.py)")
    parser.add_argument("--db", type=Path, help="SQLite file to create (default: a temporary one)")
    parser.add_argument("--certfile", help="serve TLS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="private key for --certfile")
    parser.add_argument("--client-ca", help="require client certificates signed by this CA (PEM)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list_faults and args.json:
        print(json.dumps({f.name: {"requirement": f.requirement, "breaks": f.breaks, "kind": f.kind,
                                   "shown_by": f.shown_by}
                          for f in fault_registry.FAULTS.values()}))
        return 0
    if args.list_faults:
        for f in sorted(fault_registry.FAULTS.values(), key=lambda f: f.name):
            print(f"{f.name:32} {f.requirement:20} {f.kind:9} {f.breaks}")
        return 0
    try:
        faults = fault_registry.check(args.fault)
    except ValueError as exc:
        print(f"reference_provider: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.latency_ms <= 60_000:
        print("reference_provider: --latency-ms must be 0 to 60000", file=sys.stderr)
        return 2
    default_path = variety_base_path(args.ods_code) if args.variety else f"/{args.ods_code}/STU3/1/gpconnect"
    base_path = args.base_path if args.base_path is not None else default_path
    base_path = base_path.rstrip("/")

    workdir = None
    if args.db is None:
        workdir = Path(tempfile.mkdtemp(prefix="gpc-reference-"))
        db_path = workdir / "practice.sqlite"
    else:
        db_path = args.db
        if db_path.exists():
            db_path.unlink()
    practice.use(args.practice)
    store = Store(db_path)
    store.initialise(datetime.now(practice.UK).date())

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not faults:  # answers are joined from serialised Slots only without faults (app.search_slots)
        threading.Thread(target=_warm, args=(store,), name="warm slots", daemon=True).start()
    app = create_app(Config(args.ods_code, args.asid, base_path, store, faults))
    if args.variety:
        app = with_variety(app, base_path)
    app = with_latency(app, args.latency_ms)
    tls = {}
    if args.certfile:
        import ssl

        tls = {"ssl_certfile": args.certfile, "ssl_keyfile": args.keyfile}
        if args.client_ca:
            tls.update(ssl_ca_certs=args.client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    # Ctrl-C shuts uvicorn down gracefully; SIGTERM (the harness stopping its provider) ends the process
    # at once, after removing the temporary database. Exiting normally also removes it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def remove_workdir() -> None:
        store.close()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    try:
        listener = handed_socket(args)
        if listener is not None:
            # uvicorn's own fd option takes the socket for a Unix one, so asyncio never sets TCP_NODELAY
            # on its connections and every answer waits some 40 ms for the client's delayed ACK.
            _Server(uvicorn.Config(app, log_level="warning", **tls), remove_workdir).run(sockets=[listener])
        else:
            print(f"GP Connect reference provider: service root http{'s' if tls else ''}://{args.host}:{args.port}"
                  f"{base_path}", flush=True)
            _Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", **tls),
                    remove_workdir).run()
    finally:
        remove_workdir()
    return 0


def _warm(store: Store) -> None:
    try:
        slot_search.warm(store)
    except Exception as exc:  # the answers are made as before, each Slot serialised when first asked for
        logging.getLogger("reference_provider").warning("slots not serialised ahead: %s", exc)


def handed_socket(args: argparse.Namespace, stdin=None) -> socket.socket | None:
    """The listening socket the harness bound and handed over: an inherited descriptor (--fd, POSIX), or
    socket.share()'s bytes, base64 on one line of standard input (--socket-from-stdin, Windows, where
    descriptors are not inherited); None when the provider binds its own (--host, --port)."""
    if args.fd is not None:
        return socket.socket(fileno=args.fd)
    if args.socket_from_stdin:
        line = (stdin or sys.stdin.buffer).readline()
        return socket.fromshare(base64.b64decode(line.strip()))
    return None


class _Server(uvicorn.Server):
    """uvicorn's server, except that SIGTERM ends the process at once (uvicorn's graceful shutdown waits
    some 0.2 s more, on every start and stop of the provider a run makes)."""

    def __init__(self, config: uvicorn.Config, on_terminate) -> None:
        super().__init__(config)
        self._on_terminate = on_terminate

    def handle_exit(self, sig, frame) -> None:
        if sig == signal.SIGTERM:
            self._on_terminate()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        super().handle_exit(sig, frame)


if __name__ == "__main__":
    sys.exit(main())
