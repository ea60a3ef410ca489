"""Which HTTP proxy, if any, a request to a provider goes through.

A real provider is reached as the environment says, as curl and pip do: GPC_PROXY_URL when set, else the
standard HTTPS_PROXY, HTTP_PROXY and ALL_PROXY variables (upper or lower case) with NO_PROXY's exceptions.
A loopback address is never sent to a proxy found in the environment (a corporate proxy cannot reach this
machine's loopback), only to one GPC_PROXY_URL names. The bundled reference provider is never proxied.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_for(url: str, configured: str = "", environ: dict[str, str] | None = None) -> str | None:
    """The proxy URL for a request to `url`: `configured` (GPC_PROXY_URL) when set; else, but for a loopback
    host, the environment's proxy for the URL's scheme unless NO_PROXY exempts the host; None for direct."""
    if configured:
        return configured
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or is_loopback(host):
        return None
    found = _environment_proxies(environ)
    if _bypassed(host, parts.port, found.get("no", "")):
        return None
    return found.get(parts.scheme) or found.get("all") or None


def _environment_proxies(environ: dict[str, str] | None) -> dict[str, str]:
    """scheme -> proxy URL from the environment (`environ`, default os.environ): the <scheme>_PROXY variables
    and NO_PROXY as "no", lower case winning over upper, empty values ignored."""
    found: dict[str, str] = {}
    for name, value in sorted((os.environ if environ is None else environ).items(),
                              key=lambda item: item[0].islower()):  # lower case last: it wins
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-len("_proxy")]] = value
    return found


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts the host: '*', a host name or domain suffix (with or without a leading dot),
    an IP address or network (CIDR), optionally with a port."""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and port is not None and entry_port != str(port):
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                return True
        except ValueError:
            pass
    return False
