"""The trust table: which reviewers' keys this store has met, and which keys speak for which store.

A store's identity is the key that first introduced it, not the id printed in its
manifests: a case file from a store, and audit entries of a store, are accepted only
under a key bound to that store (the first one seen, this store's own exporters, or one
added by hand with ``keys trust FINGERPRINT --store ID``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.casefile import manifest as mf
from evidence_app.casefile.signatures import Signer
from evidence_app.domain.errors import UserError
from evidence_app.storage import signing
from evidence_app.storage.models import SignerKey, StoreKey

NEW = "new"
SEEN = "seen before"
TRUSTED = "trusted"
OWN = "this store's own key"


@dataclass
class SignatureReport:
    """What an import learnt about who made the file, for the report, the audit entry and the desk."""

    signed: bool
    reviewer: str = ""
    fingerprint: str = ""
    key_status: str = ""  # new | seen before | trusted | this store's own key
    store_bound: str = ""  # "" or how the file's store got bound to the key at this import
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def headline(self) -> str:
        if not self.signed:
            return "UNSIGNED: who made this file cannot be checked"
        return f"signed by {self.reviewer}, key {self.fingerprint} ({self.key_status})"


def key_status(session: Session, key_id: str) -> str:
    row = session.get(SignerKey, key_id)
    if row is None:
        return NEW
    if row.trusted_by == OWN:
        return OWN
    return TRUSTED if row.trusted_at is not None else SEEN


def remember_key(session: Session, signer: Signer, where: str) -> SignerKey:
    row = session.get(SignerKey, signer.key_id)
    if row is None:
        row = SignerKey(
            fingerprint=signer.key_id,
            public_key=signer.public_text,
            reviewer=signer.reviewer[:120],
            first_seen_in=where[:300],
        )
        session.add(row)
        session.flush()
    return row


def bound_keys(session: Session, store_ids: Iterable[str]) -> dict[str, set[str]]:
    wanted = sorted(set(store_ids))
    out: dict[str, set[str]] = {s: set() for s in wanted}
    for i in range(0, len(wanted), 500):
        for row in session.scalars(select(StoreKey).where(StoreKey.store_id.in_(wanted[i : i + 500]))):
            out[row.store_id].add(row.fingerprint)
    return out


def bind(session: Session, store_id: str, key_id: str, how: str) -> None:
    if session.get(StoreKey, (store_id, key_id)) is None:
        session.add(StoreKey(store_id=store_id, fingerprint=key_id, how=how[:300]))
        session.flush()


def _names(session: Session, key_ids: Iterable[str]) -> str:
    parts = []
    for key_id in sorted(key_ids):
        row = session.get(SignerKey, key_id)
        parts.append(f"{row.reviewer if row else 'unknown'} ({signing.normalise_fingerprint(key_id)})")
    return ", ".join(parts)


def own_export_key(session: Session, own_store_id: str, signer: Signer) -> None:
    """Exporting: this store speaks with its reviewer's key (so a file claiming this store must carry it)."""
    row = remember_key(session, signer, "this store's own export")
    if row.trusted_at is None or row.trusted_by != OWN:
        row.trusted_at = datetime.now(UTC)
        row.trusted_by = OWN
    bind(session, own_store_id, signer.key_id, f"this store's own exports, signed by {signer.reviewer}")


def admit(
    session: Session, signer: Signer | None, store_id: str, file_name: str, *, record: bool = True
) -> SignatureReport:
    """Check the file's signer against the keys its store is known under; bind a store seen for the first time.

    Raises a UserError (nothing written: the caller's transaction rolls back) for a file
    signed by another key than its store's, or unsigned while its store signs. With
    ``record=False`` it only checks (the import's dry run, before any evidence is copied).
    """
    bound = bound_keys(session, [store_id])[store_id]
    if signer is None:
        if bound:
            raise UserError(
                f"the file is unsigned, but the store it says it comes from ({store_id}) signs its case files: it is known here"
                f" by the key of {_names(session, bound)}. An unsigned file claiming that store is refused; nothing was"
                " imported. Ask its sender for a fresh export.",
                location=mf.MANIFEST,
            )
        warning = (
            "unsigned case file (from an older version, or its signature was removed): who made it cannot be checked,"
            " and the audit entries it brings from other stores are marked unverified"
        )
        return SignatureReport(False, warnings=[warning])
    status = key_status(session, signer.key_id)
    if bound and signer.key_id not in bound:
        raise UserError(
            f"the file says it comes from store {store_id}, which is known here by the key of {_names(session, bound)};"
            f" it is signed by {signer.reviewer} with another key ({signer.fingerprint}): refused, nothing was imported."
            f" If {signer.reviewer} works on that store too, compare the fingerprint with them and run:"
            f" evidence-app keys trust {signer.key_id} --store {store_id}",
            location=mf.SIGNATURE,
        )
    report = SignatureReport(True, signer.reviewer, signer.fingerprint, status)
    if not record:
        return report
    remember_key(session, signer, file_name)
    if not bound:
        how = f"introduced by {file_name}, signed by {signer.reviewer}"
        bind(session, store_id, signer.key_id, how)
        report.store_bound = how
    if status == NEW:
        report.warnings.append(
            f"first file signed with this key: compare the fingerprint {signer.fingerprint} with {signer.reviewer}"
            f" (by phone or in person), then run: evidence-app keys trust {signer.key_id}"
        )
    return report
