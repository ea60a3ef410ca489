"""A small HTTP relay for the routing tests: each request is sent on to the URL `target` makes of it, and the
answer sent back; what was asked is kept in `seen`. Subclasses say where a request goes."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import httpx

HOP_BY_HOP = ("host", "content-length", "proxy-connection", "connection")
NOT_RELAYED = ("content-length", "transfer-encoding", "connection", "content-encoding")


class Relay(BaseHTTPRequestHandler):
    seen: list[str] = []

    def target(self) -> str:
        raise NotImplementedError

    def _relay(self):
        self.seen.append(f"{self.command} {self.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = httpx.request(self.command, self.target(), headers=headers, content=body, timeout=10,
                               trust_env=False)
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in NOT_RELAYED:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PUT = _relay

    def log_message(self, *args):
        pass


@contextmanager
def relaying(kind: type[Relay]) -> Iterator[tuple[type[Relay], str]]:
    """A relay of this kind on a free loopback port for the block: its handler class (whose `seen` fills)
    and its URL."""
    handler = type(f"Seen{kind.__name__}", (kind,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
