"""Reviewer signing keys: created once, owner-only, and a signature checks only its own message and key."""

from __future__ import annotations

import os
import stat

import pytest

from evidence_app.domain.errors import StoreError, UserError
from evidence_app.storage import signing


def test_a_key_is_created_once_owner_only_and_reloaded(tmp_path):
    key = signing.load_or_create_key("Kim Analyst", tmp_path)
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.path.parent.stat().st_mode) == 0o700
    again = signing.load_or_create_key("Kim Analyst", tmp_path)
    assert again.fingerprint == key.fingerprint
    other = signing.load_or_create_key("Lee Supervisor", tmp_path)
    assert other.fingerprint != key.fingerprint


def test_a_signature_holds_for_its_message_and_key_only(tmp_path):
    key = signing.load_or_create_key("Kim Analyst", tmp_path)
    other = signing.load_or_create_key("Lee Supervisor", tmp_path)
    sig = key.sign(b"manifest")
    assert signing.verify_signature(key.public_raw, sig, b"manifest")
    assert not signing.verify_signature(key.public_raw, sig, b"manifest!")
    assert not signing.verify_signature(other.public_raw, sig, b"manifest")
    assert not signing.verify_signature(key.public_raw, b"\0" * 64, b"manifest")


def test_reviewer_names_never_become_paths(tmp_path):
    key = signing.load_or_create_key("../../etc/passwd", tmp_path)
    assert key.path.parent == tmp_path / "keys"


def test_a_key_readable_by_others_is_refused_with_the_fix(tmp_path):
    key = signing.load_or_create_key("Kim Analyst", tmp_path)
    os.chmod(key.path, 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        signing.load_key("Kim Analyst", tmp_path)


def test_fingerprints_are_accepted_as_typed():
    raw = bytes(range(32))
    shown = signing.fingerprint(raw)
    assert signing.normalise_fingerprint(shown.replace(" ", ":").upper()) == shown
    with pytest.raises(UserError, match="64 hex digits"):
        signing.normalise_fingerprint("abcd")


def test_tests_never_touch_the_real_config_folder(isolated_config):
    # The autouse fixture in tests/conftest.py points every test (and its child processes) elsewhere.
    assert signing.default_config_dir() == isolated_config
    assert signing.key_path("Kim Analyst").is_relative_to(isolated_config)
