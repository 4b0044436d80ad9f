"""Case-file signatures, checked without the database: the reviewer's signature over the
manifest, and each store's attestation (a signed list of ``seq:hash``) over the audit
entries it exported.

The manifest lists every entry with its SHA-256, so one signature over the manifest's
exact bytes covers the whole file. Audit entries travel further than the file that first
carried them (store B re-exports what it imported from A), so each store also signs the
list of its own entries it exports; B passes A's attestation on unchanged, and a third
store can check A's entries under A's key without trusting B.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from evidence_app.casefile import manifest as mf
from evidence_app.domain.errors import UserError
from evidence_app.storage import signing

ALGORITHM = "ed25519"
ATTESTATION_HEADER = "evidence-review audit attestation v1"
MAX_SIGNATURE_BYTES = 1024


@dataclass(frozen=True)
class Signer:
    """Who signed a case file: the name they gave and their key (checked against the signature)."""

    reviewer: str
    public_raw: bytes

    @property
    def fingerprint(self) -> str:
        """Grouped for people: ``1a2b 3c4d …``."""
        return signing.fingerprint(self.public_raw)

    @property
    def key_id(self) -> str:
        """64 hex digits, as stored."""
        return signing.plain_fingerprint(self.fingerprint)

    @property
    def public_text(self) -> str:
        return signing.public_key_text(self.public_raw)


@dataclass(frozen=True)
class Attestation:
    """A store's signature over a list of its audit entries (already checked)."""

    store_id: str
    signer: Signer
    entries: str  # "seq:hash" lines, ascending seq
    signature: str
    pairs: frozenset[tuple[int, str]] = field(default_factory=frozenset)

    def as_json(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "key": self.signer.key_id,
            "entries": self.entries,
            "signature": self.signature,
        }


def signer_block(key: signing.SigningKey) -> dict[str, str]:
    """What the manifest says about its signer (covered by the signature itself)."""
    return {
        "reviewer": key.reviewer,
        "algorithm": ALGORITHM,
        "public_key": signing.public_key_text(key.public_raw),
        "fingerprint": key.fingerprint,
    }


def sign_manifest(key: signing.SigningKey, manifest_bytes: bytes) -> bytes:
    """The content of ``manifest.sig``: the Ed25519 signature over the manifest's exact bytes, base64."""
    return base64.b64encode(key.sign(manifest_bytes)) + b"\n"


def entries_text(pairs: list[tuple[int, str]]) -> str:
    return "\n".join(f"{seq}:{digest}" for seq, digest in sorted(set(pairs)))


def attestation_message(store_id: str, entries: str) -> str:
    return f"{ATTESTATION_HEADER}\n{store_id}\n{entries}"


def attest(key: signing.SigningKey, store_id: str, pairs: list[tuple[int, str]]) -> Attestation:
    """Sign the list of this store's audit entries going into a case file."""
    text = entries_text(pairs)
    signature = signing.sign_text(key, attestation_message(store_id, text))
    signer = Signer(key.reviewer, key.public_raw)
    return Attestation(store_id, signer, text, signature, frozenset((s, h) for s, h in sorted(set(pairs))))


def _public_key(text: Any, where: str) -> bytes:
    if not isinstance(text, str):
        raise UserError("public_key must be base64 text", location=where)
    return signing.public_key_from_text(text, location=where)


def check_manifest_signature(manifest: dict[str, Any], manifest_bytes: bytes, signature: bytes | None) -> Signer | None:
    """The manifest's signer when its signature holds; None for an unsigned file; a UserError otherwise."""
    block = manifest.get("signer")
    where = f"{mf.MANIFEST}: signer"
    if block is None:
        if signature is not None:
            raise UserError(
                f"the file holds a signature ({mf.SIGNATURE}) but its manifest names no signer: refused, nothing was imported",
                location=mf.SIGNATURE,
            )
        return None
    if not isinstance(block, dict):
        raise UserError("expected an object with reviewer, algorithm, public_key and fingerprint", location=where)
    reviewer = block.get("reviewer")
    if not isinstance(reviewer, str) or not reviewer.strip() or len(reviewer) > 120 or not reviewer.isprintable():
        raise UserError("reviewer must be a printable name of 1 to 120 characters", location=f"{where}.reviewer")
    if block.get("algorithm") != ALGORITHM:
        raise UserError(
            f"algorithm {block.get('algorithm')!r} is not supported: expected {ALGORITHM!r}",
            location=f"{where}.algorithm",
        )
    signer = Signer(reviewer, _public_key(block.get("public_key"), f"{where}.public_key"))
    if block.get("fingerprint") != signer.fingerprint:
        raise UserError(
            f"the fingerprint {str(block.get('fingerprint'))[:80]!r} is not that of the key given beside it ({signer.fingerprint}):"
            " the manifest was altered; nothing was imported",
            location=f"{where}.fingerprint",
        )
    if signature is None:
        raise UserError(
            f"the manifest says it is signed by {reviewer} (key {signer.fingerprint}) but the file holds no signature"
            f" ({mf.SIGNATURE}): it was removed or the file is incomplete; nothing was imported",
            location=mf.MANIFEST,
        )
    if not _verify_bytes(signer.public_raw, signature, manifest_bytes):
        raise UserError(
            f"the signature does not match the manifest: either the manifest was changed after {reviewer} signed it, or it was"
            f" signed by another key than the one it names ({signer.fingerprint}); nothing was imported",
            location=mf.SIGNATURE,
        )
    return signer


def _verify_bytes(public_raw: bytes, signature_file: bytes, message: bytes) -> bool:
    try:
        raw = base64.b64decode(signature_file.strip(), validate=True)
    except ValueError:
        return False
    return len(raw) == 64 and signing.verify_signature(public_raw, raw, message)


def _pairs(text: Any, where: str) -> frozenset[tuple[int, str]]:
    if not isinstance(text, str):
        raise UserError("entries must be text of 'seq:hash' lines", location=where)
    out: set[tuple[int, str]] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        seq, _, digest = line.partition(":")
        if not (seq.isascii() and seq.isdigit() and len(seq) <= 12 and mf.is_sha256(digest)):
            raise UserError(f"line {number} {line[:80]!r} is not 'seq:sha256'", location=where)
        out.add((int(seq), digest))
    return frozenset(out)


def check_attestations(data: Any, where: str = mf.ATTESTATIONS) -> list[Attestation]:
    """Parse and check every attestation of a case file: a bad signature refuses the file."""
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("keys"), dict)
        or not isinstance(data.get("attestations"), list)
    ):
        raise UserError("expected an object with 'keys' and 'attestations'", location=where)
    keys: dict[str, Signer] = {}
    for key_id, block in data["keys"].items():
        loc = f"{where}: keys[{str(key_id)[:64]}]"
        if not isinstance(block, dict) or not isinstance(block.get("reviewer"), str) or len(block["reviewer"]) > 120:
            raise UserError("expected an object with reviewer and public_key", location=loc)
        signer = Signer(block["reviewer"], _public_key(block.get("public_key"), loc))
        if signer.key_id != key_id:
            raise UserError("the key's fingerprint is not the name it is listed under", location=loc)
        keys[key_id] = signer
    out: list[Attestation] = []
    for i, item in enumerate(data["attestations"]):
        loc = f"{where}: attestations[{i}]"
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("store_id", "key", "entries", "signature")
        ):
            raise UserError("expected store_id, key, entries and signature as text", location=loc)
        signer = keys.get(item["key"])
        if signer is None:
            raise UserError(f"signed by key {item['key'][:64]!r}, which the file does not list", location=loc)
        pairs = _pairs(item["entries"], loc)
        if not signing.verify_text(
            signer.public_raw, item["signature"], attestation_message(item["store_id"], item["entries"])
        ):
            raise UserError(
                f"the signature of {signer.reviewer} (key {signer.fingerprint}) over the audit entries of store"
                f" {item['store_id'][:36]} does not match them: the list was altered; nothing was imported",
                location=loc,
            )
        out.append(Attestation(item["store_id"], signer, item["entries"], item["signature"], pairs))
    return out


def attestations_json(attestations: list[Attestation]) -> dict[str, Any]:
    keys = {a.signer.key_id: {"reviewer": a.signer.reviewer, "public_key": a.signer.public_text} for a in attestations}
    return {"keys": keys, "attestations": [a.as_json() for a in attestations]}
