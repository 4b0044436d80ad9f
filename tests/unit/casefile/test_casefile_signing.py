"""Signed case files: who signed is shown, a wrong signature or a forged history is refused and writes nothing,
an unsigned file imports with a warning and its foreign audit entries are marked unverified."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from evidence_app.casefile import manifest as mf
from evidence_app.casefile import signatures
from evidence_app.casefile.export import export_case as write_case_file
from evidence_app.domain.errors import UserError
from evidence_app.services import casefiles, keys, review
from evidence_app.services.verify import verify_store
from evidence_app.storage import signing
from evidence_app.storage.audit import entry_hash
from evidence_app.storage.models import AuditEntry


def edit(
    src: Path,
    dst: Path,
    *,
    manifest: Callable[[dict[str, Any]], None] | None = None,
    audit: Callable[[list[dict[str, Any]]], None] | None = None,
    sign_with: signing.SigningKey | None = None,
    keep_signature: bool = False,
) -> Path:
    """Rewrite a case file as its holder could: change the manifest and audit entries, recompute every hash in the
    manifest, then sign with ``sign_with`` (naming that key), keep the old signature, or leave it unsigned."""
    with zipfile.ZipFile(src) as zin:
        blobs = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    m = json.loads(blobs.pop(mf.MANIFEST))
    old_signature = blobs.pop(mf.SIGNATURE, None)
    if audit is not None:
        entries = [json.loads(line) for line in blobs[mf.AUDIT].splitlines() if line.strip()]
        audit(entries)
        blobs[mf.AUDIT] = b"".join(json.dumps(e).encode() + b"\n" for e in entries)
    m["files"] = [
        {**f, "size": len(blobs[f["path"]]), "sha256": hashlib.sha256(blobs[f["path"]]).hexdigest()} for f in m["files"]
    ]
    if manifest is not None:
        manifest(m)
    if sign_with is not None:
        m["signer"] = signatures.signer_block(sign_with)
    elif not keep_signature:
        m.pop("signer", None)
    m_bytes = json.dumps(m, indent=1).encode()
    with zipfile.ZipFile(dst, "w") as zout:
        zout.writestr(mf.MANIFEST, m_bytes)
        if sign_with is not None:
            zout.writestr(mf.SIGNATURE, signatures.sign_manifest(sign_with, m_bytes))
        elif keep_signature and old_signature is not None:
            zout.writestr(mf.SIGNATURE, old_signature)
        for name, data in blobs.items():
            zout.writestr(name, data)
    return dst


def rehash_chain(entries: list[dict[str, Any]], store_id: str) -> None:
    """Recompute the hash chain of one store's entries after an edit, as a forger would."""
    prev = None
    for e in entries:
        if e["origin_store_id"] != store_id:
            continue
        if prev is not None and e["seq"] == prev["seq"] + 1:
            e["prev_hash"] = prev["hash"]
        e["hash"] = entry_hash(
            e["seq"],
            e["ts"],
            e["actor"],
            e["action"],
            e["entity"],
            e["entity_id"],
            e["payload"],
            e["prev_hash"],
            e.get("content"),
        )
        prev = e


def snapshot(ctx) -> tuple[Any, ...]:
    objects = sorted(p.name for p in (ctx.store.objects.root / "sha256").glob("*/*/*"))
    with ctx.store.read() as s:
        counts = tuple(
            s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in (
                "cases",
                "incidents",
                "evidence",
                "audit_entries",
                "imported_audit_entries",
                "store_meta",
                "signer_keys",
                "store_keys",
                "audit_attestations",
                "sync_state",
            )
        )
    return objects, counts


def assert_refused(ctx, path: Path, match: str) -> None:
    before = snapshot(ctx)
    with pytest.raises(UserError, match=match):
        casefiles.import_case(ctx, path)
    assert snapshot(ctx) == before, "a refused file changed the store"


@pytest.fixture
def exported(workstation, tmp_path: Path) -> Path:
    ws, ids = workstation
    out = tmp_path / "case.evcase"
    casefiles.export_case(ws, ids["case"], out, with_report=False)
    return out


def workstation_store_id(ws) -> str:
    from evidence_app.casefile.record_dicts import store_id

    with ws.store.read() as s:
        return store_id(s)


def import_audit_payload(ctx) -> dict[str, Any]:
    with ctx.store.read() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "casefile.import").order_by(AuditEntry.seq.desc())
        ).first()
        return json.loads(entry.payload)


def test_the_import_names_the_signer_and_whether_the_key_was_seen_before(workstation, exported, new_store, tmp_path):
    ws, ids = workstation
    mine = signing.load_key("analyst-a")
    assert mine is not None, "the export created the reviewer's key"
    laptop = new_store("laptop")
    first = casefiles.import_case(laptop, exported)
    assert first.signature.signed
    assert (first.signature.reviewer, first.signature.fingerprint, first.signature.key_status) == (
        "analyst-a",
        mine.fingerprint,
        "new",
    )
    assert any("compare the fingerprint" in w for w in first.warnings)
    assert first.audit_entries_unverified == 0
    payload = import_audit_payload(laptop)
    assert payload["signature"]["fingerprint"] == mine.fingerprint
    review.review(ws, ids["inc2"], "under_review", rationale="second pass")
    again = tmp_path / "again.evcase"
    casefiles.export_case(ws, ids["case"], again, with_report=False)
    second = casefiles.import_case(laptop, again)
    assert second.signature.key_status == "seen before" and not second.warnings
    keys.trust_key(laptop, mine.fingerprint)
    casefiles.export_case(ws, ids["case"], again, with_report=False)
    assert casefiles.import_case(laptop, again).signature.key_status == "trusted"
    assert all(e["verified"] and e["signed_by"] == "analyst-a" for e in keys.imported_audit(laptop))
    assert verify_store(laptop.store).ok


def test_a_manifest_changed_after_signing_is_refused_and_writes_nothing(exported, new_store, tmp_path):
    def retitle(m):
        m["case"]["title"] = "Nothing to see here"

    bad = edit(exported, tmp_path / "retitled.evcase", manifest=retitle, keep_signature=True)
    assert_refused(new_store("laptop"), bad, r"manifest.sig: the signature does not match the manifest")


def test_a_manifest_signed_by_another_key_than_it_names_is_refused(exported, new_store, tmp_path):
    mallory = signing.load_or_create_key("mallory")
    genuine = signing.load_key("analyst-a")

    def resign(m):
        pass

    bad = edit(exported, tmp_path / "other-key.evcase", manifest=resign, sign_with=mallory)
    # Name the genuine reviewer's key in the manifest, but the signature is Mallory's.
    with zipfile.ZipFile(bad) as z:
        blobs = {i.filename: z.read(i.filename) for i in z.infolist()}
    m = json.loads(blobs[mf.MANIFEST])
    m["signer"] = signatures.signer_block(genuine)
    m_bytes = json.dumps(m, indent=1).encode()
    blobs[mf.MANIFEST] = m_bytes
    blobs[mf.SIGNATURE] = signatures.sign_manifest(mallory, m_bytes)
    liar = tmp_path / "liar.evcase"
    with zipfile.ZipFile(liar, "w") as z:
        for name, data in blobs.items():
            z.writestr(name, data)
    assert_refused(new_store("laptop"), liar, r"signed by another key than the one it names")


def test_a_file_signed_by_another_key_than_its_store_is_known_under_is_refused(
    workstation, exported, new_store, tmp_path
):
    laptop = new_store("laptop")
    casefiles.import_case(laptop, exported)
    mallory = signing.load_or_create_key("mallory")
    bad = edit(exported, tmp_path / "mallory.evcase", sign_with=mallory)
    assert_refused(laptop, bad, r"known here by the key of analyst-a .* signed by mallory with another key")


def test_a_removed_signature_is_refused_while_the_manifest_names_a_signer(exported, new_store, tmp_path):
    with zipfile.ZipFile(exported) as z:
        blobs = {i.filename: z.read(i.filename) for i in z.infolist() if i.filename != mf.SIGNATURE}
    stripped = tmp_path / "stripped.evcase"
    with zipfile.ZipFile(stripped, "w") as z:
        for name, data in blobs.items():
            z.writestr(name, data)
    assert_refused(
        new_store("laptop"),
        stripped,
        r"manifest.json: the manifest says it is signed by analyst-a .* holds no signature",
    )


def test_an_unsigned_file_imports_with_a_warning_and_its_audit_entries_are_unverified(workstation, new_store, tmp_path):
    ws, ids = workstation
    old = tmp_path / "older-version.evcase"
    write_case_file(
        ws.store, ids["case"], old, exported_by="analyst-a", with_report=False
    )  # no key: as older versions wrote
    laptop = new_store("laptop")
    report = casefiles.import_case(laptop, old)
    assert not report.signature.signed
    assert report.audit_entries_added > 0 and report.audit_entries_unverified == report.audit_entries_added
    assert any("unsigned case file" in w for w in report.warnings)
    assert any("marked unverified" in w for w in report.warnings)
    payload = import_audit_payload(laptop)
    assert payload["signature"] == {"signed": False} and payload["warnings"] == report.warnings
    shown = keys.imported_audit(laptop)
    assert shown and not any(e["verified"] for e in shown)
    assert verify_store(laptop.store).ok


def test_an_unsigned_file_is_refused_once_its_store_is_known_by_a_key(workstation, exported, new_store, tmp_path):
    ws, ids = workstation
    laptop = new_store("laptop")
    casefiles.import_case(laptop, exported)
    stripped = edit(exported, tmp_path / "unsigned.evcase")
    assert_refused(
        laptop, stripped, r"the file is unsigned, but the store it says it comes from .* signs its case files"
    )


def _forge_entries(entries: list[dict[str, Any]], store: str, *, actor: str = "chief-analyst") -> None:
    """Rewrite the reviewer of every entry of ``store`` and recompute the chain, as the issue's forger did."""
    for e in entries:
        if e["origin_store_id"] == store:
            e["actor"] = actor
    rehash_chain(entries, store)


def test_rewritten_reviewer_names_are_refused(workstation, exported, new_store, tmp_path):
    ws, _ = workstation
    w = workstation_store_id(ws)
    # Re-signing is out of the forger's reach: the recomputed manifest no longer matches the signature.
    bad = edit(exported, tmp_path / "renamed.evcase", audit=lambda es: _forge_entries(es, w), keep_signature=True)
    assert_refused(new_store("laptop"), bad, r"the signature does not match the manifest")
    # Signing it anew with the forger's own key: the entries are not among those analyst-a signed.
    mallory = signing.load_or_create_key("mallory")
    resigned = edit(exported, tmp_path / "resigned.evcase", audit=lambda es: _forge_entries(es, w), sign_with=mallory)
    assert_refused(new_store("laptop2"), resigned, r"audit entry 1 of store .* is not among the entries mallory signed")


def test_forged_entries_under_a_colleagues_store_id_are_refused_and_the_genuine_file_still_imports(
    workstation, exported, new_store, tmp_path
):
    ws, ids = workstation
    w = workstation_store_id(ws)
    laptop = new_store("laptop")
    casefiles.import_case(laptop, exported)  # the laptop now knows the workstation by analyst-a's key
    # Mallory works from her own store and passes on "the workstation's history" with invented entries.
    mallory_ctx = new_store("mallory", actor="mallory")
    casefiles.import_case(mallory_ctx, exported)
    relay = tmp_path / "relay.evcase"
    casefiles.export_case(mallory_ctx, ids["case"], relay, with_report=False)

    def invent(entries):
        extra = dict(next(e for e in entries if e["origin_store_id"] == w))
        extra.update(
            seq=max(e["seq"] for e in entries if e["origin_store_id"] == w) + 1,
            actor="chief-analyst",
            action="review.confirm",
            payload='{"to":"confirmed"}',
        )
        entries.append(extra)
        rehash_chain(entries, w)

    mallory = signing.load_key("mallory")
    forged = edit(relay, tmp_path / "forged.evcase", audit=invent, sign_with=mallory)
    assert_refused(laptop, forged, r"audit entry \d+ of store .* is not signed by a key that store is known under here")
    claimed = edit(exported, tmp_path / "claimed.evcase", audit=invent, sign_with=mallory)
    assert_refused(laptop, claimed, r"known here by the key of analyst-a")
    # The genuine colleague's next file still lands.
    review.review(ws, ids["inc2"], "under_review", rationale="new imagery")
    newer = tmp_path / "newer.evcase"
    casefiles.export_case(ws, ids["case"], newer, with_report=False)
    report = casefiles.import_case(laptop, newer)
    assert report.audit_entries_added > 0 and report.audit_entries_unverified == 0
    assert verify_store(laptop.store).ok


def test_a_forged_history_that_arrived_first_never_blocks_the_genuine_store(workstation, exported, new_store, tmp_path):
    """The poisoning of the issue: invented entries under a colleague's store id, before the colleague's own file."""
    ws, ids = workstation
    w = workstation_store_id(ws)
    mallory_ctx = new_store("mallory", actor="mallory")
    casefiles.import_case(mallory_ctx, exported)
    relay = tmp_path / "relay.evcase"
    casefiles.export_case(mallory_ctx, ids["case"], relay, with_report=False)
    mallory = signing.load_key("mallory")
    forged = edit(relay, tmp_path / "forged.evcase", audit=lambda es: _forge_entries(es, w), sign_with=mallory)
    laptop = new_store("laptop")
    first = casefiles.import_case(laptop, forged)  # the laptop has never heard of the workstation: kept, unverified
    assert first.audit_entries_unverified > 0
    assert {e["actor"] for e in keys.imported_audit(laptop) if e["origin_store_id"] == w} == {"chief-analyst"}
    assert not any(e["verified"] for e in keys.imported_audit(laptop) if e["origin_store_id"] == w)
    report = casefiles.import_case(
        laptop, exported
    )  # the genuine file: accepted, its signed entries replace the forged ones
    assert report.audit_entries_unverified == 0
    shown = [e for e in keys.imported_audit(laptop) if e["origin_store_id"] == w]
    assert shown and all(e["verified"] and e["actor"] == "analyst-a" for e in shown)
    assert verify_store(laptop.store).ok, verify_store(laptop.store).problems


def test_entries_passed_on_by_a_third_store_keep_their_original_signature(workstation, exported, new_store, tmp_path):
    ws, ids = workstation
    w = workstation_store_id(ws)
    field_ctx = new_store("field", actor="field-analyst")
    casefiles.import_case(field_ctx, exported)
    relay = tmp_path / "relay.evcase"
    casefiles.export_case(field_ctx, ids["case"], relay, with_report=False)
    hq = new_store("hq", actor="hq-analyst")
    casefiles.import_case(hq, exported)  # HQ knows the workstation's key
    report = casefiles.import_case(hq, relay)
    assert report.signature.reviewer == "field-analyst" and report.audit_entries_unverified == 0
    assert all(e["verified"] for e in keys.imported_audit(hq) if e["origin_store_id"] == w)
