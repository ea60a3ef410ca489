"""Settings: precedence, defaults and one-line errors naming the key."""

import pytest

from harness.settings import ConfigError, load_settings, nhs_number_is_valid

BASE = {"GPC_ENV": "reference"}


def settings(**overrides):
    return load_settings({**BASE, **overrides})


def test_reference_environment_loads_with_the_bundled_provider():
    s = settings()
    assert s.uses_reference_provider
    assert s.provider_ods_code == "A99901"
    assert s.tls_verify is True
    assert s.allow_writes is True


def test_real_environment_variables_win_over_the_file():
    assert settings(GPC_SEARCH_DAYS="3").search_days == 3


def test_unknown_environment_names_the_missing_file():
    with pytest.raises(ConfigError, match=r"^GPC_ENV: no config file config/nowhere.env"):
        load_settings({"GPC_ENV": "nowhere"})


@pytest.mark.parametrize("key,value,message", [
    ("GPC_SEARCH_DAYS", "15", "GPC_SEARCH_DAYS: 15 is outside 1 to 14"),
    ("GPC_SEARCH_DAYS", "seven", "GPC_SEARCH_DAYS: 'seven' is not a whole number"),
    ("GPC_TIMEOUT_S", "0", "GPC_TIMEOUT_S: 0 is outside 0.1 to 600"),
    ("GPC_BASE_URL", "ftp://x", "GPC_BASE_URL: 'ftp://x' is not an http(s) URL with a host"),
    ("GPC_SSP_URL", "proxy", "GPC_SSP_URL: 'proxy' is not an http(s) URL with a host"),
    ("GPC_PROVIDER_ASID", "12ab", "GPC_PROVIDER_ASID: '12ab' is not an ASID (digits)"),
    ("GPC_CONSUMER_ODS_CODE", "a-1", "GPC_CONSUMER_ODS_CODE: 'a-1' is not an ODS code"),
    ("GPC_CONSUMER_ORG_TYPE", "hospital", "GPC_CONSUMER_ORG_TYPE: 'hospital' is not one of"),
    ("GPC_PATIENT_NHS_NUMBER", "123", "GPC_PATIENT_NHS_NUMBER: '123' is not a 10-digit NHS number"),
    ("GPC_PATIENT_NHS_NUMBER", "9000000001", "GPC_PATIENT_NHS_NUMBER: '9000000001' fails the NHS number check digit"),
    ("GPC_SCHEDULE_TYPES", "most", "GPC_SCHEDULE_TYPES: 'most' is not one of all, some, none"),
    ("GPC_TLS_VERIFY", "maybe", "GPC_TLS_VERIFY: 'maybe' is not true or false"),
    ("GPC_CLIENT_CERT", "/no/such/cert.pem", "GPC_CLIENT_CERT: file '/no/such/cert.pem' does not exist"),
    ("GPC_REFERENCE_FAULTS", "Bad-Name", "GPC_REFERENCE_FAULTS: 'Bad-Name' is not a fault name"),
])
def test_malformed_values_are_named_in_one_line(key, value, message):
    with pytest.raises(ConfigError) as err:
        settings(**{key: value})
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_missing_required_key_is_named(tmp_path, monkeypatch):
    from harness import settings as module

    (tmp_path / "bare.env").write_text("GPC_PROVIDER_ODS_CODE=A1234\nGPC_PATIENT_NHS_NUMBER=9658218873\n")
    monkeypatch.setattr(module, "CONFIG_DIR", tmp_path)
    with pytest.raises(ConfigError, match=r"^GPC_PROVIDER_ASID: missing; expected an ASID"):
        load_settings({"GPC_ENV": "bare"})


def test_client_certificate_needs_its_key(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match=r"^GPC_CLIENT_KEY: missing; mutual TLS needs both"):
        settings(GPC_CLIENT_CERT=str(cert))


def test_faults_apply_only_to_the_bundled_provider():
    with pytest.raises(ConfigError, match="only applies to the bundled reference provider"):
        settings(GPC_BASE_URL="https://provider.example/A1/STU3/1/gpconnect", GPC_REFERENCE_FAULTS="slot_missing_type")


def test_verification_is_on_unless_turned_off_explicitly():
    assert settings().tls_verify is True
    assert settings(GPC_TLS_VERIFY="false").tls_verify is False


def test_the_demonstrator_config_is_a_valid_real_target():
    s = load_settings({"GPC_ENV": "demonstrator"})
    assert s.provider_ods_code == "A20047" and s.provider_asid == "918999198993"
    assert s.patient_nhs_number == "9658218873" and not s.allow_writes


@pytest.mark.parametrize("number,valid", [("9658218873", True), ("9476719931", True), ("9658218874", False),
                                          ("965821887", False)])
def test_nhs_number_check_digit(number, valid):
    assert nhs_number_is_valid(number) is valid
