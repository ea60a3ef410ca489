"""A real loopback HTTP server that misbehaves in one named way, standing in for a broken provider."""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading

import pytest

BUNDLE = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode()


def _head(status: str, ctype: str, length: int, extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\n"
            f"Cache-Control: no-store\r\n{extra}Connection: close\r\n\r\n").encode()


class Misbehaviour(socketserver.BaseRequestHandler):
    mode = "html-500"
    other_host = ""
    stop = threading.Event()
    seen: list[str] = []

    def handle(self):
        sock = self.request
        sock.settimeout(5)
        try:
            request = sock.recv(65536).decode(errors="replace")
        except OSError:
            return
        self.seen.append(request.split("\r\n", 1)[0])
        mode = self.mode
        if mode == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        elif mode == "read-timeout":
            self.stop.wait(60)
        elif mode == "slow-drip":
            body = b" " * 2000
            sock.sendall(_head("200 OK", "application/fhir+json;charset=utf-8", len(body)))
            for byte in body:
                if self.stop.wait(0.2):
                    return
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return
        elif mode == "html-500":
            body = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            sock.sendall(_head("500 Internal Server Error", "text/html", len(body)) + body)
        elif mode == "invalid-json":
            body = b'{"resourceType": "Bundle", "type": "searchset", "entry": [ {'
            sock.sendall(_head("200 OK", "application/fhir+json;charset=utf-8", len(body)) + body)
        elif mode == "wrong-content-type":
            sock.sendall(_head("200 OK", "text/plain", len(BUNDLE)) + BUNDLE)
        elif mode == "truncated":
            sock.sendall(_head("200 OK", "application/fhir+json;charset=utf-8", 5000) + BUNDLE[:20])
        elif mode == "huge":
            size = 20 * 1024 * 1024
            sock.sendall(_head("200 OK", "application/fhir+json;charset=utf-8", size))
            chunk = b" " * 65536
            try:
                for _ in range(size // len(chunk)):
                    sock.sendall(chunk)
            except OSError:
                return
        elif mode == "redirect":
            sock.sendall(_head("302 Found", "text/plain", 0, f"Location: {self.other_host}/Slot\r\n"))


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def misbehaving():
    """misbehaving(mode) -> service root of a loopback server behaving that way ('refused': nothing listens)."""
    servers = []

    def start(mode: str) -> str:
        if mode == "refused":
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            return f"http://127.0.0.1:{port}/A99901/STU3/1/gpconnect"
        handler = type(f"Handler_{mode}", (Misbehaviour,), {"mode": mode, "stop": threading.Event(), "seen": []})
        if mode == "redirect":
            other = Server(("127.0.0.1", 0), type("Other", (Misbehaviour,), {"mode": "html-500", "seen": [],
                                                                             "stop": threading.Event()}))
            servers.append(other)
            threading.Thread(target=other.serve_forever, daemon=True).start()
            handler.other_host = f"http://127.0.0.1:{other.server_address[1]}"
            handler.other_server = other
        server = Server(("127.0.0.1", 0), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        start.handler = handler
        return f"http://127.0.0.1:{server.server_address[1]}/A99901/STU3/1/gpconnect"

    yield start
    for server in servers:
        server.RequestHandlerClass.stop.set()
        server.shutdown()
        server.server_close()
