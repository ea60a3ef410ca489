"""TLS for requests to a provider: verification on unless turned off, optional client certificate."""

from __future__ import annotations

import ssl

from harness.errors import HarnessError


def ssl_context(*, verify: bool = True, ca_bundle: str = "", client_cert: str = "",
                client_key: str = "") -> ssl.SSLContext:
    """An SSLContext for httpx; certificate problems are a one-line HarnessError."""
    try:
        if verify:
            context = ssl.create_default_context(cafile=ca_bundle or None)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if client_cert:
            context.load_cert_chain(client_cert, client_key or None)
    except (ssl.SSLError, OSError) as exc:
        what = "client certificate or key" if client_cert else "CA bundle"
        raise HarnessError(f"cannot load the {what}: {exc.strerror or exc}") from None
    return context
