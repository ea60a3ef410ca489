"""The listening socket the harness hands the bundled provider: an inherited descriptor on POSIX; on Windows
socket.share()'s bytes over the child's standard input (that branch run here against stand-ins, since
socket.share and socket.fromshare exist on Windows only)."""

import base64
import io
import socket
import subprocess
import sys

from harness.cli import bundled_provider
from reference_provider.__main__ import handed_socket, parse_args


def test_a_descriptor_is_taken_as_the_listening_socket():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    try:
        handed = handed_socket(parse_args(["--fd", str(listener.fileno())]))
        assert handed.getsockname() == listener.getsockname()
        handed.detach()  # the same descriptor as `listener`: closed once, by it
    finally:
        listener.close()
    assert handed_socket(parse_args(["--port", "0"])) is None


def test_on_windows_the_shared_socket_is_read_from_one_line_of_standard_input(monkeypatch):
    seen = []
    monkeypatch.setattr(socket, "fromshare", lambda data: seen.append(data) or "the shared socket", raising=False)
    stdin = io.BytesIO(base64.b64encode(b"shared bytes") + b"\n")
    assert handed_socket(parse_args(["--socket-from-stdin"]), stdin=stdin) == "the shared socket"
    assert seen == [b"shared bytes"]


def test_on_windows_the_harness_shares_the_socket_with_the_child_s_process_id(monkeypatch):
    started = {}

    class Child:
        pid = 4321

        def __init__(self, cmd, **kwargs):
            started.update(cmd=cmd, kwargs=kwargs)
            self.stdin = io.BytesIO()
            self.stdin.close = lambda: started.update(sent=self.stdin.getvalue())

    class Listener:
        def share(self, pid):
            return f"socket for {pid}".encode()

        def fileno(self):
            raise AssertionError("a descriptor is not passed on Windows")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(subprocess, "Popen", Child)
    bundled_provider._spawn(["python", "-m", "reference_provider"], Listener(), log=None)
    assert started["cmd"][-1] == "--socket-from-stdin" and "pass_fds" not in started["kwargs"]
    assert started["kwargs"]["stdin"] is subprocess.PIPE
    assert base64.b64decode(started["sent"].strip()) == b"socket for 4321"
