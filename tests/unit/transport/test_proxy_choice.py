"""Which proxy a request to a provider goes through: GPC_PROXY_URL, else the environment's, never for
loopback from the environment, and NO_PROXY's exceptions."""

import pytest

from harness.errors import HarnessError
from harness.settings import load_settings
from harness.spec.interactions import METADATA
from harness.transport import proxies
from harness.transport.client import GpConnectClient

PROXY = "http://proxy.example:3128"


def test_the_configured_proxy_wins_even_for_loopback():
    assert proxies.proxy_for("https://provider.example/gpc", PROXY, environ={"HTTPS_PROXY": "http://other:1"}) == PROXY
    assert proxies.proxy_for("http://127.0.0.1:8080/gpc", PROXY, environ={}) == PROXY


def test_the_environment_names_the_proxy_by_scheme_with_lower_case_winning():
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": PROXY, "HTTP_PROXY": "http://plain:2"}
    assert proxies.proxy_for("https://provider.example/gpc", environ=env) == PROXY
    assert proxies.proxy_for("http://provider.example/gpc", environ=env) == "http://plain:2"
    assert proxies.proxy_for("https://provider.example/gpc", environ={"ALL_PROXY": PROXY}) == PROXY
    assert proxies.proxy_for("https://provider.example/gpc", environ={}) is None


def test_loopback_never_goes_to_the_environment_s_proxy():
    env = {"HTTPS_PROXY": PROXY, "HTTP_PROXY": PROXY}
    for url in ("http://127.0.0.1:9000/gpc", "https://localhost/gpc", "http://[::1]:80/gpc", "http://127.1.2.3/x",
                "http://app.localhost/x"):
        assert proxies.proxy_for(url, environ=env) is None, url


def test_no_proxy_exempts_hosts_domains_networks_and_ports():
    env = {"HTTPS_PROXY": PROXY, "NO_PROXY": ".nhs.uk, 10.0.0.0/8,provider.example:8443"}
    assert proxies.proxy_for("https://ssp.spine.nhs.uk/x", environ=env) is None
    assert proxies.proxy_for("https://nhs.uk/x", environ=env) is None
    assert proxies.proxy_for("https://10.1.2.3/x", environ=env) is None
    assert proxies.proxy_for("https://provider.example:8443/x", environ=env) is None
    assert proxies.proxy_for("https://provider.example:443/x", environ=env) == PROXY
    assert proxies.proxy_for("https://notnhs.uk/x", environ=env) == PROXY
    assert proxies.proxy_for("https://anything/x", environ={"HTTPS_PROXY": PROXY, "no_proxy": "*"}) is None


def test_the_client_names_the_proxy_it_could_not_reach_without_its_credentials():
    settings = load_settings({"GPC_ENV": "reference", "GPC_BASE_URL": "https://provider.example/A11111/STU3/1/gpconnect",
                              "GPC_PROVIDER_ODS_CODE": "A11111", "GPC_PROVIDER_ASID": "1", "GPC_CONSUMER_ASID": "2",
                              "GPC_CONSUMER_ODS_CODE": "B22222", "GPC_PATIENT_NHS_NUMBER": "9000000009",
                              "GPC_PROXY_URL": "http://user:secret@127.0.0.1:9"})
    client = GpConnectClient(settings, settings.base_url)
    assert client.proxy == "http://user:secret@127.0.0.1:9"
    with pytest.raises(HarnessError) as raised:
        client.send(METADATA, "metadata")
    client.close()
    assert "through the proxy http://127.0.0.1:9" in str(raised.value) and "secret" not in str(raised.value)


def test_the_bundled_provider_is_never_proxied():
    client = GpConnectClient(load_settings({"GPC_ENV": "reference", "GPC_PROXY_URL": PROXY}), "http://127.0.0.1:1/gpc")
    assert client.proxy is None
    client.close()
