"""Reviewers' signing keys: Ed25519, one per reviewer, kept in the user's config folder.

A key is created the first time a reviewer signs something (a case-file manifest, an
audit checkpoint) and stored owner-only (0600 in a 0700 folder). Anyone can check a
signature with the public key alone; the fingerprint (SHA-256 of the raw public key,
shown as groups of four hex digits) is what people compare by eye.

``EVIDENCE_APP_CONFIG`` moves the folder (tests, a portable install); otherwise it is
the platform's user config folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evidence_app import APP_SLUG
from evidence_app.domain.errors import StoreError, UserError

ENV_CONFIG = "EVIDENCE_APP_CONFIG"
KEYS_FOLDER = "keys"
ALGORITHM = "ed25519"


def default_config_dir() -> Path:
    configured = os.environ.get(ENV_CONFIG, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_SLUG, appauthor=False))


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, 64 hex digits in groups of four."""
    digest = hashlib.sha256(public_raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


def normalise_fingerprint(text: str) -> str:
    """Accept a fingerprint typed with or without spaces or colons, any case."""
    digits = re.sub(r"[\s:]", "", text).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        raise UserError("a key fingerprint is 64 hex digits (spaces and colons allowed)", location=text[:80])
    return " ".join(digits[i : i + 4] for i in range(0, 64, 4))


def public_key_text(public_raw: bytes) -> str:
    return base64.b64encode(public_raw).decode("ascii")


def public_key_from_text(text: str, *, location: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise UserError("public key is not base64", location=location) from None
    if len(raw) != 32:
        raise UserError(f"an Ed25519 public key is 32 bytes, found {len(raw)}", location=location)
    return raw


def verify_signature(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is the key's signature over ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _file_name(reviewer: str) -> str:
    # Reviewer names are free text; the file name must not be a path.
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", reviewer).strip("._") or "reviewer"
    return f"{slug[:60]}-{hashlib.sha256(reviewer.encode('utf-8')).hexdigest()[:12]}.pem"


@dataclass(frozen=True)
class SigningKey:
    """One reviewer's private key, loaded from their config folder."""

    reviewer: str
    path: Path
    _private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self._private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


def key_path(reviewer: str, config_dir: Path | None = None) -> Path:
    return (config_dir or default_config_dir()) / KEYS_FOLDER / _file_name(reviewer)


def load_key(reviewer: str, config_dir: Path | None = None) -> SigningKey | None:
    """The reviewer's key, or None when they have none yet."""
    path = key_path(reviewer, config_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read the signing key: {exc.strerror}", location=str(path)) from None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"the signing key is readable by others (mode {stat.S_IMODE(mode):o}); run: chmod 600 '{path}'",
            location=str(path),
        )
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise StoreError("the signing key file is damaged (not a PEM private key)", location=str(path)) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise StoreError("the signing key file holds a key of another kind than Ed25519", location=str(path))
    return SigningKey(reviewer, path, private)


def load_or_create_key(reviewer: str, config_dir: Path | None = None) -> SigningKey:
    """The reviewer's key, created (owner-only) on first use."""
    existing = load_key(reviewer, config_dir)
    if existing is not None:
        return existing
    path = key_path(reviewer, config_dir)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link, not rename: if another process created the key meanwhile, keep theirs.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the signing key: {exc.strerror}", location=str(path)) from None
    key = load_key(reviewer, config_dir)
    assert key is not None
    return key


def plain_fingerprint(shown: str) -> str:
    """The 64 hex digits of a fingerprint, as stored in the database."""
    return shown.replace(" ", "")


def sign_text(key: SigningKey, text: str) -> str:
    """Sign UTF-8 text; the signature as base64 (88 characters), fit for JSON and TEXT columns."""
    return base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii")


def verify_text(public_raw: bytes, signature_b64: str, text: str) -> bool:
    """True when ``signature_b64`` (base64) is the key's signature over ``text``; False for any malformed input."""
    try:
        signature = base64.b64decode(signature_b64.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError, AttributeError):
        return False
    return len(signature) == 64 and verify_signature(public_raw, signature, text.encode("utf-8"))


def public_key_pem(public_raw: bytes) -> str:
    """The public key as a standard PEM block (openssl reads it)."""
    public = Ed25519PublicKey.from_public_bytes(public_raw)
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(
        "ascii"
    )


def public_key_from_pem(data: bytes, *, location: str) -> bytes:
    """The raw 32 bytes of an Ed25519 public key in PEM (lines outside the PEM block are ignored)."""
    start = data.find(b"-----BEGIN PUBLIC KEY-----")
    if start < 0:
        raise UserError(
            "no '-----BEGIN PUBLIC KEY-----' block: expected a key written by `evidence-app keys export`",
            location=location,
        )
    try:
        public = serialization.load_pem_public_key(data[start:])
    except (ValueError, TypeError):
        raise UserError("the public key block is damaged", location=location) from None
    if not isinstance(public, Ed25519PublicKey):
        raise UserError("the public key is not an Ed25519 key", location=location)
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
