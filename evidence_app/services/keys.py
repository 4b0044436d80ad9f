"""Signing keys as use cases: this reviewer's own key, the keys this store has met, trusting one.

The private key lives in the reviewer's config folder (``storage.signing``); what a store
knows about other reviewers' public keys, and which keys speak for which store, lives in
the store (``signer_keys``, ``store_keys``), changed only here and by case-file imports.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence_app.casefile import keyring
from evidence_app.domain.errors import NotFound, ValidationError
from evidence_app.services.context import Context
from evidence_app.storage import audit, signing
from evidence_app.storage.models import AuditAttestation, ImportedAuditEntry, SignerKey, StoreKey


def own_key(ctx: Context, *, create: bool = True) -> dict[str, Any]:
    """The acting reviewer's key (created owner-only on first use), for showing and sharing."""
    existing = signing.load_key(ctx.actor)
    key = existing or (signing.load_or_create_key(ctx.actor) if create else None)
    if key is None:
        return {"reviewer": ctx.actor, "fingerprint": None, "path": str(signing.key_path(ctx.actor)), "created": False}
    return {
        "reviewer": ctx.actor,
        "fingerprint": key.fingerprint,
        "public_key": signing.public_key_text(key.public_raw),
        "path": str(key.path),
        "created": existing is None,
    }


def public_key_file(ctx: Context) -> str:
    """The reviewer's public key as PEM, with their name and fingerprint on comment lines before it."""
    key = signing.load_or_create_key(ctx.actor)
    return f"# Evidence Review signing key of {ctx.actor}\n# fingerprint {key.fingerprint}\n" + signing.public_key_pem(
        key.public_raw
    )


def export_public_key(ctx: Context, out: str | os.PathLike[str]) -> dict[str, Any]:
    text = public_key_file(ctx)
    path = Path(out)
    if path.is_dir():
        raise ValidationError("is a folder: give a file name such as kim.pub.pem", location=str(path))
    try:
        path.write_text(text, encoding="ascii")
    except OSError as exc:
        raise ValidationError(f"cannot write the file: {exc.strerror}", location=str(path)) from None
    return {**own_key(ctx), "path": str(path)}


def known_keys(ctx: Context) -> list[dict[str, Any]]:
    """Every key this store has met, with the stores it speaks for and whether it is trusted."""
    with ctx.store.read() as session:
        stores: dict[str, list[str]] = {}
        for row in session.scalars(select(StoreKey).order_by(StoreKey.bound_at)):
            stores.setdefault(row.fingerprint, []).append(row.store_id)
        out = []
        for row in session.scalars(select(SignerKey).order_by(SignerKey.first_seen_at)):
            out.append(
                {
                    "reviewer": row.reviewer,
                    "fingerprint": signing.normalise_fingerprint(row.fingerprint),
                    "status": keyring.key_status(session, row.fingerprint),
                    "first_seen_in": row.first_seen_in,
                    "first_seen_at": row.first_seen_at.isoformat(),
                    "trusted_by": row.trusted_by,
                    "stores": stores.get(row.fingerprint, []),
                }
            )
        return out


def trust_key(
    ctx: Context, fingerprint: str, *, store_id: str | None = None, key_file: str | None = None
) -> dict[str, Any]:
    """Mark a key as checked with its owner; optionally let it speak for a store (a second reviewer on it).

    ``key_file`` (written by ``keys export``) introduces a key before any file signed with it arrived.
    """
    shown = signing.normalise_fingerprint(fingerprint)
    key_id = signing.plain_fingerprint(shown)
    with ctx.store.write() as session:
        row = session.get(SignerKey, key_id)
        if key_file is not None:
            try:
                data = Path(key_file).read_bytes()[:65536]
            except OSError as exc:
                raise ValidationError(f"cannot read the key file: {exc.strerror}", location=key_file) from None
            raw = signing.public_key_from_pem(data, location=key_file)
            if signing.fingerprint(raw) != shown:
                raise ValidationError(
                    f"the key in the file has fingerprint {signing.fingerprint(raw)}, not {shown}: not the"
                    " key you were told",
                    location=key_file,
                )
            if row is None:
                name = _name_from_key_file(data) or "unknown"
                row = SignerKey(
                    fingerprint=key_id,
                    public_key=signing.public_key_text(raw),
                    reviewer=name,
                    first_seen_in=Path(key_file).name[:300],
                )
                session.add(row)
                session.flush()
        if row is None:
            raise NotFound(
                f"no key with fingerprint {shown} has been seen here: import a case file signed with it first,"
                " or give its public key with --key FILE"
            )
        if row.trusted_by != keyring.OWN:
            row.trusted_at = datetime.now(UTC)
            row.trusted_by = ctx.actor
        if store_id:
            keyring.bind(session, store_id, key_id, f"trusted by {ctx.actor}")
        audit.record(
            session, ctx.actor, "key.trust", "key", key_id, {"reviewer": row.reviewer, "store_id": store_id or None}
        )
        return {
            "reviewer": row.reviewer,
            "fingerprint": shown,
            "status": keyring.key_status(session, key_id),
            "store_id": store_id,
        }


def _name_from_key_file(data: bytes) -> str:
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    prefix = "# Evidence Review signing key of "
    return first[len(prefix) :].strip()[:120] if first.startswith(prefix) else ""


def imported_audit(ctx: Context, *, entity_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Audit entries imported from other stores, each marked verified (with its signer) or unverified."""
    with ctx.store.read() as session:
        query = select(ImportedAuditEntry).order_by(ImportedAuditEntry.origin_store_id, ImportedAuditEntry.seq)
        if entity_id is not None:
            query = query.where(ImportedAuditEntry.entity_id == entity_id)
        rows = list(session.scalars(query))
        if limit:
            rows = rows[-limit:]
        bound = keyring.bound_keys(session, {r.origin_store_id for r in rows})
        signers: dict[str, tuple[str, str] | None] = {}
        out = []
        for r in rows:
            signer = None
            if r.attestation_id:
                if r.attestation_id not in signers:
                    att = session.get(AuditAttestation, r.attestation_id)
                    key = session.get(SignerKey, att.fingerprint) if att is not None else None
                    signers[r.attestation_id] = (att.fingerprint, key.reviewer if key else "unknown") if att else None
                signer = signers[r.attestation_id]
            verified = signer is not None and signer[0] in bound.get(r.origin_store_id, set())
            out.append(
                {
                    "origin_store_id": r.origin_store_id,
                    "seq": r.seq,
                    "ts": r.ts,
                    "actor": r.actor,
                    "action": r.action,
                    "entity": r.entity,
                    "entity_id": r.entity_id,
                    "payload": r.payload,
                    "hash": r.hash,
                    "verified": verified,
                    "signed_by": signer[1] if verified and signer else None,
                    "key": signing.normalise_fingerprint(signer[0]) if verified and signer else None,
                }
            )
        return out
