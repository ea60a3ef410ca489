"""Settings: precedence, defaults and one-line errors naming the key."""

import pytest

from harness.settings import ConfigError, load_settings, nhs_number_is_valid

BASE = {"GPC_ENV": "reference"}


def settings(**overrides):
    return load_settings({**BASE, **overrides})


def test_typed_schedules_are_listed_once_and_refused_where_the_practice_has_none():
    assert settings(GPC_TYPED_SCHEDULES=" SCH-30, 31,SCH-30 ,").typed_schedules == ("SCH-30", "31")
    with pytest.raises(ConfigError, match="^GPC_TYPED_SCHEDULES: declares typed schedules, but GPC_SCHEDULE_TYPES=none "
                                          "says there are none$"):
        settings(GPC_TYPED_SCHEDULES="SCH-30", GPC_SCHEDULE_TYPES="none")


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
    ("GPC_RESTRICTED_SLOTS", "SCH-32,11:00,ods:Y90001; SCH-32,11:60,type:urgent-care",
     "GPC_RESTRICTED_SLOTS: 'SCH-32,11:60,type:urgent-care' is not <schedule id, identifier or schedule type>,"
     "<HH:MM>,<type|ods>:<code>, entries separated by ;"),
    ("GPC_RESTRICTED_SLOTS", "SCH-32,11:00,site:Y90001",
     "GPC_RESTRICTED_SLOTS: 'SCH-32,11:00,site:Y90001' is not <schedule id, identifier or schedule type>,"
     "<HH:MM>,<type|ods>:<code>, entries separated by ;"),
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
    ("GPC_MAX_BODY_MB", "lots", "GPC_MAX_BODY_MB: 'lots' is not a number"),
    ("GPC_MAX_BODY_MB", "0.5", "GPC_MAX_BODY_MB: 0.5 is outside 1 to 2048"),
    ("GPC_REFERENCE_PRACTICE", "city", "GPC_REFERENCE_PRACTICE: 'city' is not one of small, large, few-days, hub"),
])
def test_malformed_values_are_named_in_one_line(key, value, message):
    with pytest.raises(ConfigError) as err:
        settings(**{key: value})
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_missing_required_key_is_named(tmp_path, monkeypatch):
    from harness import settings as module

    (tmp_path / "bare.env").write_text("GPC_BASE_URL=reference\nGPC_PROVIDER_ODS_CODE=A1234\n"
                                       "GPC_PATIENT_NHS_NUMBER=9658218873\n")
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


def test_variety_is_off_by_default_and_applies_only_to_the_bundled_provider():
    assert settings().reference_variety is False
    assert settings(GPC_REFERENCE_VARIETY="true").reference_variety is True
    with pytest.raises(ConfigError) as err:
        settings(GPC_BASE_URL="https://provider.example/A1/STU3/1/gpconnect", GPC_REFERENCE_VARIETY="true")
    assert str(err.value) == ("GPC_REFERENCE_VARIETY: only applies to the bundled reference provider "
                              "(GPC_BASE_URL is set)")


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


def test_a_mistyped_key_in_the_environment_names_the_nearest_known_key():
    with pytest.raises(ConfigError) as err:
        settings(GPC_BASE_ULR="https://provider.example/A1/STU3/1/gpconnect")
    assert str(err.value) == "GPC_BASE_ULR: unknown setting (in the environment); did you mean GPC_BASE_URL?"


def test_a_mistyped_key_in_the_env_file_is_named_with_its_file(tmp_path, monkeypatch):
    from harness import settings as module

    (tmp_path / "typo.env").write_text("GPC_BASE_ULR=\nGPC_PROVIDER_ODS_CODE=A1234\n")
    monkeypatch.setattr(module, "CONFIG_DIR", tmp_path)
    with pytest.raises(ConfigError) as err:
        load_settings({"GPC_ENV": "typo"})
    assert str(err.value) == f"GPC_BASE_ULR: unknown setting (in {tmp_path / 'typo.env'}); did you mean GPC_BASE_URL?"


def test_an_unknown_key_far_from_any_known_one_points_at_the_template():
    with pytest.raises(ConfigError,
                       match=r"^GPC_MOONLIGHT: unknown setting \(in the environment\); see config/provider"):
        settings(GPC_MOONLIGHT="blue")


@pytest.mark.parametrize("key", ["GPC_ENV", "GPC_REPORTS_DIR", "GPC_STATE_DIR", "GPC_REFERENCE_FAULTS",
                                 "GPC_REFERENCE_PRACTICE", "GPC_REFERENCE_LATENCY_MS",
                                 "GPC_REFERENCE_VARIETY"])
def test_run_control_keys_read_outside_settings_are_known(key):
    from harness.settings import KNOWN_KEYS

    assert key in KNOWN_KEYS


def test_every_key_of_the_template_and_shipped_configs_is_known(config_dir):
    from dotenv import dotenv_values

    from harness.settings import KNOWN_KEYS

    with config_dir(exclusive=False) as folder:  # not while a test keeps a mistyped file of its own there
        for path in folder.iterdir():
            if path.suffix == ".env" or path.name.endswith(".env.example"):
                assert set(dotenv_values(path)) <= KNOWN_KEYS, path.name


def test_an_empty_base_url_outside_the_reference_environment_is_an_error(tmp_path, monkeypatch):
    from harness import settings as module

    template = (module.CONFIG_DIR / "demonstrator.env").read_text()
    (tmp_path / "nightly.env").write_text(template)
    monkeypatch.setattr(module, "CONFIG_DIR", tmp_path)
    with pytest.raises(ConfigError) as err:
        load_settings({"GPC_ENV": "nightly", "GPC_BASE_URL": ""})
    assert str(err.value) == ("GPC_BASE_URL: missing for environment 'nightly'; set the provider's service root "
                              "(or 'reference' for the bundled reference provider)")


def test_the_bundled_provider_can_be_asked_for_explicitly_anywhere():
    s = load_settings({"GPC_ENV": "demonstrator", "GPC_BASE_URL": "reference"})
    assert s.uses_reference_provider and s.base_url == ""


def test_a_real_base_url_wins_in_the_reference_environment():
    s = settings(GPC_BASE_URL="https://provider.example/A1/STU3/1/gpconnect/")
    assert not s.uses_reference_provider and s.base_url == "https://provider.example/A1/STU3/1/gpconnect"


def test_an_unknown_fault_is_named_with_the_nearest_known_one():
    from harness.settings import check_reference_faults

    check_reference_faults(("slot_missing_type",), ["slot_missing_type", "book_race"])
    with pytest.raises(ConfigError) as err:
        check_reference_faults(("slot_missing_typ",), ["slot_missing_type", "book_race"])
    assert str(err.value) == ("GPC_REFERENCE_FAULTS: unknown fault 'slot_missing_typ'; did you mean "
                              "slot_missing_type? (make faults lists them)")


def test_another_organisation_defaults_and_must_differ_from_the_consumer():
    assert settings().other_org_ods_code == "X12345"
    assert settings(GPC_OTHER_ORG_ODS_CODE="B82617").other_org_ods_code == "B82617"
    with pytest.raises(ConfigError) as err:
        settings(GPC_OTHER_ORG_ODS_CODE="Y90001")
    assert str(err.value) == "GPC_OTHER_ORG_ODS_CODE: the same as GPC_CONSUMER_ODS_CODE; name another organisation"
    with pytest.raises(ConfigError) as err:
        settings(GPC_OTHER_ORG_ODS_CODE="x1")
    assert str(err.value) == "GPC_OTHER_ORG_ODS_CODE: 'x1' is not an ODS code (3-10 upper-case letters or digits)"
