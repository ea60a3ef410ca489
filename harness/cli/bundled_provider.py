"""Starting the bundled reference provider on a free loopback port, as a separate process.

The harness talks to it over HTTP only. The listening socket is bound here and handed to the
child (an inherited descriptor on POSIX, socket.share on Windows), so there is no window in which
another process could take the port.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness import malloc_policy
from harness.errors import HarnessError
from harness.settings import PROJECT_ROOT, Settings
from harness.transport.tls import ssl_context

START_TIMEOUT_S = 30.0


@dataclass
class RunningProvider:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def start(settings: Settings, log_path: Path, faults: tuple[str, ...] | None = None,
          tls: dict[str, str] | None = None) -> RunningProvider:
    """Start the reference provider with these faults; return once it answers on its service root."""
    faults = settings.reference_faults if faults is None else faults
    base_path = f"/{settings.provider_ods_code}/STU3/1/gpconnect"
    if settings.reference_variety:
        base_path = f"/gpc/{settings.provider_ods_code.lower()}/fhir/stu3"  # the variety's own service root
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    port = listener.getsockname()[1]
    cmd = [sys.executable, "-m", "reference_provider", "--ods-code", settings.provider_ods_code,
           "--asid", settings.provider_asid, "--base-path", base_path]
    for fault in faults:
        cmd += ["--fault", fault]
    cmd += ["--practice", settings.reference_practice, "--latency-ms", str(settings.reference_latency_ms)]
    if settings.reference_variety:
        cmd.append("--variety")
    scheme = "http"
    if tls:
        scheme = "https"
        cmd += ["--certfile", tls["certfile"], "--keyfile", tls["keyfile"]]
        if tls.get("client_ca"):
            cmd += ["--client-ca", tls["client_ca"]]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_path, "ab") as log:
            process = _spawn(cmd, listener, log)
    finally:
        listener.close()  # the child holds its own copy; ours is closed whether or not it started
    provider = RunningProvider(f"{scheme}://127.0.0.1:{port}{base_path}", process, log_path)
    _wait_until_ready(provider, tls)
    return provider


def _spawn(cmd: list[str], listener: socket.socket, log) -> subprocess.Popen:
    """Start the provider serving on `listener`: inherited as a descriptor on POSIX; on Windows, where
    descriptors are not inherited, shared with the child's process id over its standard input."""
    if sys.platform == "win32":
        process = subprocess.Popen([*cmd, "--socket-from-stdin"], stdin=subprocess.PIPE, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
        process.stdin.write(base64.b64encode(listener.share(process.pid)) + b"\n")
        process.stdin.close()
        return process
    return subprocess.Popen([*cmd, "--fd", str(listener.fileno())], pass_fds=(listener.fileno(),), stdout=log,
                            stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                            env=malloc_policy.child_env(dict(os.environ)))


def _wait_until_ready(provider: RunningProvider, tls: dict[str, str] | None) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    context = ssl_context(verify=bool(tls), ca_bundle=(tls or {}).get("ca", ""),
                          client_cert=(tls or {}).get("client_cert", ""), client_key=(tls or {}).get("client_key", ""))
    while time.monotonic() < deadline:
        if provider.process.poll() is not None:
            raise HarnessError(f"reference provider exited with status {provider.process.returncode} at start: "
                               f"{_log_tail(provider.log_path)}")
        try:
            # Any answer, even a refusal of this header-less request, shows it is serving.
            # Straight to loopback, whatever proxy the environment names.
            httpx.get(f"{provider.base_url}/metadata", timeout=2.0, verify=context, trust_env=False)
            return
        except httpx.HTTPError:
            time.sleep(0.02)
    provider.stop()
    raise HarnessError(f"reference provider did not answer within {START_TIMEOUT_S:.0f} s: "
                       f"{_log_tail(provider.log_path)}")
