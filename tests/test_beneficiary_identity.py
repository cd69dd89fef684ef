"""ID / iqama numbers, mobiles, and the encryption of personal data (pure)."""
from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from sila.platform import crypto
from sila.platform.identity import (
    MSG_ID_CHECK,
    MSG_ID_FORMAT,
    MSG_ID_REQUIRED,
    MSG_MOBILE_INVALID,
    id_problem,
    luhn_ok,
    mask_id,
    normalise_id,
    normalise_mobile,
    valid_test_id,
)


@pytest.mark.parametrize("value", ["1000000008", "١٠٠٠٠٠٠٠٠٨", "10000 00008", "1000-000-008", "2000000006",
                                   valid_test_id("112233445"), valid_test_id("298765432")])
def test_valid_ids_including_eastern_arabic_digits(value):
    assert id_problem(value) is None


@pytest.mark.parametrize("value, msg", [
    ("", MSG_ID_REQUIRED), ("   ", MSG_ID_REQUIRED),
    ("1000000000", MSG_ID_CHECK), ("1000000009", MSG_ID_CHECK),
    ("3000000004", MSG_ID_FORMAT), ("100000000", MSG_ID_FORMAT), ("10000000080", MSG_ID_FORMAT),
    ("10000000a8", MSG_ID_FORMAT), ("１０００００００８", MSG_ID_FORMAT),
])
def test_invalid_ids_say_what_is_wrong(value, msg):
    assert id_problem(value) == msg


def test_check_digit_catches_every_single_digit_error():
    good = "1000000008"
    for i in range(10):
        for d in "0123456789":
            bad = good[:i] + d + good[i + 1:]
            if bad != good:
                assert not luhn_ok(bad), bad


def test_normalise_and_mask():
    assert normalise_id("١٠٠٠ ٠٠٠٠ ٠٨") == "1000000008"
    assert mask_id("0008") == "••••••0008"


@pytest.mark.parametrize("raw", ["0501234567", "٠٥٠١٢٣٤٥٦٧", "+966 50 123 4567", "966501234567",
                                 "00966501234567", "501234567", "050-123-4567"])
def test_saudi_mobile_formats_normalise_to_e164(raw):
    assert normalise_mobile(raw) == ("+966501234567", None)


@pytest.mark.parametrize("raw", ["0112345678", "12345", "05012345678901", "hello"])
def test_landlines_and_garbage_are_not_mobiles(raw):
    assert normalise_mobile(raw) == (None, MSG_MOBILE_INVALID)


@pytest.fixture
def fixed_key(monkeypatch):
    key = crypto._keys("A" * 43, "s" * 40, "production")
    monkeypatch.setattr(crypto, "keys", lambda: key)


def test_encryption_round_trips_and_is_bound_to_tenant_and_field(fixed_key):
    blob = crypto.encrypt("tenant-a", "id_number", "1000000008")
    assert b"1000000008" not in blob
    assert crypto.decrypt("tenant-a", "id_number", blob) == "1000000008"
    assert crypto.encrypt("tenant-a", "id_number", "1000000008") != blob  # fresh nonce each time
    for tenant, field in [("tenant-b", "id_number"), ("tenant-a", "other")]:
        with pytest.raises(InvalidTag):  # bound to its tenant and field
            crypto.decrypt(tenant, field, blob)


def test_lookup_hash_is_stable_per_tenant_and_unlinkable_across(fixed_key):
    a1, a2 = crypto.lookup_hash("tenant-a", "1000000008"), crypto.lookup_hash("tenant-a", "1000000008")
    assert a1 == a2 and len(a1) == 64
    assert crypto.lookup_hash("tenant-b", "1000000008") != a1


def test_dev_keys_derive_from_the_secret_and_production_refuses_without_a_data_key():
    assert crypto._keys(None, "x" * 40, "test") == crypto._keys(None, "x" * 40, "development")
    assert crypto._keys(None, "x" * 40, "test") != crypto._keys(None, "y" * 40, "test")
    with pytest.raises(RuntimeError):
        crypto._keys(None, "x" * 40, "production")
    enc, mac = crypto._keys("A" * 43, "x" * 40, "production")
    assert enc != mac


def test_settings_require_a_well_formed_data_key_in_production(monkeypatch):
    from sila.platform.settings import SettingsError, load_settings

    base = {"SILA_DATABASE_URL": "postgresql://x@h/db", "SILA_REDIS_URL": "redis://h", "SILA_SECRET_KEY": "k" * 40}
    for k, v in base.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("SILA_ENV", "production")
    monkeypatch.delenv("SILA_DATA_KEY", raising=False)
    with pytest.raises(SettingsError, match="SILA_DATA_KEY"):
        load_settings()
    monkeypatch.setenv("SILA_DATA_KEY", "too-short")
    with pytest.raises(SettingsError, match="SILA_DATA_KEY"):
        load_settings()
    monkeypatch.setenv("SILA_DATA_KEY", "A" * 43)
    assert load_settings().data_key == "A" * 43
