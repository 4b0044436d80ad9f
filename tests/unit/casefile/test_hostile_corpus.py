"""A corpus of hostile case files, each made by editing a genuine export the way any holder of one can.

The genuine case is built as analysts build one: vessels from a registry CSV and from
the OFAC SDN list, AIS from a MarineCadastre-layout file, a photo attached and annotated,
the AIS file linked, a four-eyes confirmation by two reviewers. Each hostile file changes
records (or the AIS and audit lines) and recomputes the manifest's sizes and hashes, so
the container checks pass and only the content checks stand between it and the store.

Every hostile file must be refused with a ``UserError`` whose message names the entry,
the record (kind and id) and the field; the store must be exactly as before (a dump of
every table and the object files); and the genuine file must still import afterwards.

To add a case, append a ``Hostile`` to ``CORPUS`` (or a generator's output): an edit
function over the parsed entries and the regular expression the message must match.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from evidence_app.casefile import manifest as mf
from evidence_app.domain.errors import UserError
from evidence_app.services import (
    casefiles,
    cases,
    evidence,
    imports,
    incidents,
    photo_annotations,
    photo_import,
    review,
    tags,
    vessels,
)
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store
from evidence_app.storage.models import Base, Incident, Participant, ReviewEvent
from tests.published_layouts import MARINECADASTRE_HEADER_LINE

# --- the genuine case, built through the services and importers ---------------------------------

REGISTRY_CSV = (
    "imo,mmsi,name,flag,type,length,beam,gt,owner,callsign\n"
    "9216470,352001234,NEW REGENT,Panama,Oil Products Tanker,104,16,3996,Regent Shipping,3FXY7\n"
)
# One OFAC SDN.CSV vessel row (no header; the IMO number lives in the remarks).
SDN_CSV = (
    '36111,"CHON MA SAN","vessel","DPRK3","-0-","HMYF5","Oil Tanker","-0-","-0-",'
    '"Korea, North","-0-","IMO 8660313; MMSI 445123000; Linked To: KOREA ACHIM SHIPPING."\n'
)
START = datetime(2019, 3, 11, 14, tzinfo=UTC)


def _ais_csv(path: Path) -> Path:
    """Two tracks converging on the transfer, in the MarineCadastre column layout."""
    header = MARINECADASTRE_HEADER_LINE
    lines = []
    for i in range(24):
        t = (START - timedelta(hours=3) + timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        lines.append(
            f"445123000,{t},{36.40 + i * 0.006:.4f},{123.80 + i * 0.006:.4f},6.1,40.2,40,CHON MA SAN,IMO8660313,HMYF5,80,0,110,18,8.1,80,A"
        )
        lines.append(
            f"352001234,{t},{36.70 - i * 0.006:.4f},{124.10 - i * 0.006:.4f},5.4,220.5,221,NEW REGENT,IMO9216470,3FXY7,80,0,104,16,6.0,80,A"
        )
    path.write_text(header + "\n".join(lines) + "\n")
    return path


@dataclass
class Genuine:
    path: Path
    ids: dict[str, str]


def build_genuine(folder: Path, photo: Path) -> Genuine:
    store = open_store(folder / "workstation" / "store.sqlite")
    try:
        a = Context(store, "analyst-a")
        b = Context(store, "analyst-b")
        (folder / "in").mkdir()
        imports.import_vessels(a, _write(folder / "in" / "registry.csv", REGISTRY_CSV))
        imports.import_vessels(a, _write(folder / "in" / "sdn.csv", SDN_CSV))
        ais = imports.import_ais(a, [_ais_csv(folder / "in" / "ais_2019-03-11.csv")])
        case = cases.create_case(
            a,
            "Yellow Sea 2019: refined petroleum",
            caveat="OFFICIAL-SENSITIVE",
            four_eyes=True,
            summary="Suspected STS transfers to a DPRK-flagged tanker.",
        )
        inc1 = incidents.add_incident(
            a,
            case.id,
            start_utc=START,
            end_utc=START + timedelta(hours=5),
            lat=36.55,
            lon=123.95,
            radius_m=1500,
            title="STS south of Dalian",
            position_method="AIS",
            cargo_kind="refined petroleum",
            indicators=["alongside", "hoses"],
            participants=[
                incidents.ParticipantSpec("8660313", "receiver"),
                incidents.ParticipantSpec("9216470", "supplier"),
            ],
        )
        inc2 = incidents.add_incident(
            a,
            case.id,
            start_utc=START + timedelta(days=12),
            end_utc=START + timedelta(days=12, hours=3),
            lat=38.95,
            lon=123.10,
            radius_m=4000,
            title="Night rendezvous in Korea Bay",
            participants=[incidents.ParticipantSpec("8660313", "receiver")],
        )
        attached = photo_import.attach_files(a, inc1.id, [photo])
        photo_id = attached.attached[0]
        photo_annotations.add_annotation(a, photo_id, "box", [[100, 100], [300, 200]], label="two hulls alongside")
        evidence.relink(a, inc1.id, ais.evidence_ids[0], relation="supports", note="both tracks meet at the position")
        tags.tag_incident(a, inc1.id, "dprk")
        review.review(a, inc1.id, "confirmed", rationale="hoses visible; AIS tracks meet")  # a proposal: four eyes
        review.review(b, inc1.id, "confirmed", rationale="agree: imagery and AIS concur")
        review.review(a, inc2.id, "under_review", rationale="night imagery requested")
        out = folder / "genuine.evcase"
        casefiles.export_case(a, case.id, out, with_report=False)
        return Genuine(
            out, {"case": case.id, "inc1": inc1.id, "inc2": inc2.id, "photo": photo_id, "ais": ais.evidence_ids[0]}
        )
    finally:
        store.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def build_target(folder: Path) -> dict[str, str]:
    """The receiving store: one local case of its own (case B), with an incident and a review."""
    store = open_store(folder / "target" / "store.sqlite")
    try:
        ctx = Context(store, "chief")
        case_b = cases.create_case(ctx, "Case B: East China Sea")
        vessels.add_vessel(ctx, imo=9123453, mmsi=413000111, name="HUA FENG")
        inc = incidents.add_incident(
            ctx,
            case_b.id,
            start_utc=START,
            lat=30.0,
            lon=125.0,
            title="B's own incident",
            participants=[incidents.ParticipantSpec("9123453", "supplier")],
        )
        review.review(ctx, inc.id, "under_review", rationale="started")
        with store.read() as session:
            participant = session.scalars(select(Participant.id).where(Participant.incident_id == inc.id)).one()
        return {"case_b": case_b.id, "inc_b": inc.id, "participant_b": participant}
    finally:
        store.close()


# --- editing a case file as its holder could -----------------------------------------------------

# Whatever a manifest signature is called, a holder who edits a file cannot re-sign it with
# the exporter's key: the best they can do is strip it and pass the file off as unsigned.
SIGNATURE_KEYS = ("signature", "signatures", "signer", "signed_by")


def _is_signature_entry(name: str) -> bool:
    return name.endswith((".sig", ".signature")) or name.rsplit("/", 1)[-1].startswith("signature")


@dataclass
class Entries:
    """A case file's entries, parsed where they are JSON, for an edit to change."""

    manifest: dict[str, Any]
    records: dict[str, Any]
    audit: list[dict[str, Any]]
    ais: list[dict[str, Any]]
    raw: dict[str, bytes] = field(default_factory=dict)  # entries to write as these exact bytes instead
    renames: dict[str, str] = field(default_factory=dict)  # entry name -> new name

    def one(self, collection: str, index: int = 0) -> dict[str, Any]:
        return self.records[collection][index]


def edit_case_file(src: Path, dst: Path, change: Callable[[Entries], None]) -> Path:
    """Rewrite ``src`` into ``dst`` with ``change`` applied, recomputing the manifest's sizes and hashes."""
    with zipfile.ZipFile(src) as zin:
        blobs = {i.filename: zin.read(i.filename) for i in zin.infolist() if not i.is_dir()}
    entries = Entries(
        manifest=json.loads(blobs.pop(mf.MANIFEST)),
        records=json.loads(blobs[mf.RECORDS]),
        audit=[json.loads(line) for line in blobs.get(mf.AUDIT, b"").splitlines() if line.strip()],
        ais=[json.loads(line) for line in blobs.get(mf.AIS, b"").splitlines() if line.strip()],
    )
    change(entries)
    blobs[mf.RECORDS] = json.dumps(entries.records, indent=1).encode()
    if mf.AUDIT in blobs:
        blobs[mf.AUDIT] = b"".join(json.dumps(e).encode() + b"\n" for e in entries.audit)
    if mf.AIS in blobs:
        blobs[mf.AIS] = b"".join(json.dumps(r).encode() + b"\n" for r in entries.ais)
    blobs.update(entries.raw)
    blobs = {entries.renames.get(n, n): b for n, b in blobs.items() if not _is_signature_entry(n)}
    manifest = entries.manifest
    for key in SIGNATURE_KEYS:
        manifest.pop(key, None)
    listed = [{**f, "path": entries.renames.get(f["path"], f["path"])} for f in manifest["files"]]
    manifest["files"] = [
        {**f, "size": len(blobs[f["path"]]), "sha256": hashlib.sha256(blobs[f["path"]]).hexdigest()}
        for f in listed
        if f["path"] in blobs
    ]
    with zipfile.ZipFile(dst, "w") as zout:
        zout.writestr(mf.MANIFEST, json.dumps(manifest, indent=1), zipfile.ZIP_DEFLATED)
        for name, data in blobs.items():  # evidence stored as is (already compressed), records deflated
            zout.writestr(name, data, zipfile.ZIP_DEFLATED if name.startswith("records/") else zipfile.ZIP_STORED)
    return dst


# --- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """One hostile edit and the message it must be refused with (``{inc1}`` etc. name genuine ids)."""

    name: str
    edit: Callable[[Entries, dict[str, str]], None]
    expect: str


CORPUS: list[Hostile] = []


def hostile(
    name: str, expect: str
) -> Callable[[Callable[[Entries, dict[str, str]], None]], Callable[[Entries, dict[str, str]], None]]:
    def register(edit: Callable[[Entries, dict[str, str]], None]) -> Callable[[Entries, dict[str, str]], None]:
        CORPUS.append(Hostile(name, edit, expect))
        return edit

    return register


def _find(e: Entries, collection: str, **match: Any) -> dict[str, Any]:
    return next(r for r in e.records[collection] if all(r.get(k) == v for k, v in match.items()))


def _later(e: Entries) -> str:
    """A time after every review in the file: where a new event goes in the history."""
    last = max(datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) for r in e.records["reviews"])
    return (last + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")


INC1 = r"records/case\.json: incidents\[\d+\] \(incident {inc1}\)"
RECORD = r"records/case\.json: {coll}\[\d+\] \({kind} [0-9a-f-]+\)"


# The findings of the issue, one by one.


@hostile(
    "cross-case injection: a link and a confirmed review on another local case's incident",
    r"records/case\.json: incidents\[\d+\] \(incident {inc_b}\)\.id: this incident belongs to another case here",
)
def _cross_case(e: Entries, ids: dict[str, str]) -> None:
    victim = copy.deepcopy(_find(e, "incidents", id=ids["inc1"]))
    victim.update(id=ids["inc_b"], title="B's own incident", status="confirmed")
    e.records["incidents"].append(victim)
    e.records["links"].append(
        {
            "id": "0badc0de-0000-4000-8000-000000000001",
            "incident_id": ids["inc_b"],
            "evidence_id": ids["photo"],
            "relation": "supports",
            "note": "",
            "created_at": "2019-03-20T10:00:00Z",
        }
    )
    # A history that follows the workflow (four eyes included), so only the scope rule stands in the way.
    steps = [
        ("suspected", "under_review", "transition", "Deputy"),
        ("under_review", "confirmed", "proposal", "Deputy"),
        ("under_review", "confirmed", "transition", "Chief Analyst"),
    ]
    for n, (frm, to, kind, who) in enumerate(steps):
        e.records["reviews"].append(
            {
                "id": f"0badc0de-0000-4000-8000-00000000001{n}",
                "incident_id": ids["inc_b"],
                "from_status": frm,
                "to_status": to,
                "kind": kind,
                "reviewer": who,
                "rationale": "approved",
                "created_at": f"2019-03-20T1{n}:00:00Z",
            }
        )


@hostile(
    "cross-case injection: only a review event, reusing the id of a review of local case B",
    r"records/case\.json: reviews\[\d+\] \(review {review_b}\)\.id: this id belongs here to a review of incident {inc_b} in another case",
)
def _cross_case_review_id(e: Entries, ids: dict[str, str]) -> None:
    e.records["reviews"].append(
        {
            "id": ids["review_b"],
            "incident_id": ids["inc2"],
            "from_status": "suspected",
            "to_status": "under_review",
            "kind": "transition",
            "reviewer": "x",
            "rationale": "",
            "created_at": "2019-03-01T00:00:00Z",
        }
    )


@hostile(
    "cross-case injection: a participant reusing the id of local case B's participant",
    r"records/case\.json: participants\[\d+\] \(participant {participant_b}\)\.id: this id belongs here to a participant of incident {inc_b} in another case",
)
def _cross_case_participant(e: Entries, ids: dict[str, str]) -> None:
    e.records["participants"][0]["id"] = ids["participant_b"]


@hostile(
    "four-eyes case: an incident confirmed with no evidence and no proposer",
    r"records/case\.json: reviews\[\d+\] \(review [0-9a-f-]+\)\.reviewer: this case requires four eyes: a confirmation needs an earlier proposal by a different reviewer \(there is none\)",
)
def _four_eyes_bypass(e: Entries, ids: dict[str, str]) -> None:
    inc2 = _find(e, "incidents", id=ids["inc2"])
    inc2["status"] = "confirmed"
    e.records["reviews"].append(
        {
            "id": "0badc0de-0000-4000-8000-000000000020",
            "incident_id": ids["inc2"],
            "from_status": "under_review",
            "to_status": "confirmed",
            "kind": "transition",
            "reviewer": "analyst-a",
            "rationale": "sure",
            "created_at": _later(e),
        }
    )


@hostile(
    "four-eyes case: a confirmed status with no review history at all",
    INC1.replace("{inc1}", "{inc2}") + r"\.status: is confirmed, but its review history never reaches confirmed",
)
def _status_without_history(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc2"])["status"] = "confirmed"


@hostile(
    "confirmed with its supporting evidence links removed",
    INC1 + r"\.status: is confirmed with no supporting evidence linked",
)
def _confirmed_without_evidence(e: Entries, ids: dict[str, str]) -> None:
    e.records["links"] = [link for link in e.records["links"] if link["incident_id"] != ids["inc1"]]


@hostile(
    "confirmed by the same reviewer who proposed it",
    r"reviews\[\d+\] \(review [0-9a-f-]+\)\.reviewer: this case requires four eyes: .* \(analyst-a proposed it\)",
)
def _self_confirmed(e: Entries, ids: dict[str, str]) -> None:
    for r in e.records["reviews"]:
        r["reviewer"] = "analyst-a"


@hostile("start after end", INC1 + r"\.end_utc: the end \(2019-03-11T09:00:00Z\) is before the start")
def _start_after_end(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["end_utc"] = "2019-03-11T09:00:00Z"


@hostile("review status 'owned'", INC1 + r"\.status: unknown status 'owned'")
def _status_owned(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["status"] = "owned"


@hostile(
    "review event to 'owned'",
    RECORD.format(coll="reviews", kind="review") + r"\.to_status: to_status 'owned' is not a review status",
)
def _review_owned(e: Entries, ids: dict[str, str]) -> None:
    e.records["reviews"][-1]["to_status"] = "owned"


@hostile(
    "review jumping from suspected straight to rejected",
    RECORD.format(coll="reviews", kind="review") + r"\.to_status: cannot move from suspected to rejected",
)
def _review_jump(e: Entries, ids: dict[str, str]) -> None:
    first = next(r for r in e.records["reviews"] if r["incident_id"] == ids["inc2"])
    first["to_status"] = "rejected"
    _find(e, "incidents", id=ids["inc2"])["status"] = "rejected"


@hostile(
    "review from a status the incident never had",
    RECORD.format(coll="reviews", kind="review")
    + r"\.from_status: starts from 'rejected', a status this incident never had",
)
def _review_from_nowhere(e: Entries, ids: dict[str, str]) -> None:
    first = next(r for r in e.records["reviews"] if r["incident_id"] == ids["inc2"])
    first["from_status"] = "rejected"


@hostile(
    "a decision without a rationale", RECORD.format(coll="reviews", kind="review") + r"\.rationale: .*needs a rationale"
)
def _no_rationale(e: Entries, ids: dict[str, str]) -> None:
    for r in e.records["reviews"]:
        if r["to_status"] == "confirmed":
            r["rationale"] = "   "


@hostile(
    "unknown review kind",
    RECORD.format(coll="reviews", kind="review") + r"\.kind: kind 'veto': expected one of transition, proposal",
)
def _review_kind(e: Entries, ids: dict[str, str]) -> None:
    e.records["reviews"][0]["kind"] = "veto"


@hostile(
    "a proposer with no proposal in the history",
    r"incidents\[\d+\] \(incident {inc2}\)\.confirmation_proposed_by: names 'chief' as proposer",
)
def _phantom_proposer(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc2"])["confirmation_proposed_by"] = "chief"


@hostile(
    "unknown participant role",
    RECORD.format(coll="participants", kind="participant") + r"\.role: unknown role 'captain'",
)
def _role(e: Entries, ids: dict[str, str]) -> None:
    e.records["participants"][0]["role"] = "captain"


@hostile(
    "unknown link relation",
    RECORD.format(coll="links", kind="link") + r"\.relation: relation 'maybe': expected supports or contradicts",
)
def _relation(e: Entries, ids: dict[str, str]) -> None:
    e.records["links"][0]["relation"] = "maybe"


@hostile(
    "unknown evidence kind", RECORD.format(coll="evidence", kind="evidence") + r"\.kind: unknown evidence kind 'rumour'"
)
def _kind(e: Entries, ids: dict[str, str]) -> None:
    e.records["evidence"][0]["kind"] = "rumour"


@hostile("unknown indicator", INC1 + r"\.indicators: unknown indicator 'smoke'")
def _indicator(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["indicators"] = ["alongside", "smoke"]


@hostile(
    "imo -5",
    RECORD.format(coll="vessels", kind="vessel") + r"\.imo: imo -5 is out of range: expected 1000000 to 9999999",
)
def _imo_negative(e: Entries, ids: dict[str, str]) -> None:
    e.records["vessels"][0]["imo"] = -5


@hostile(
    "an IMO number failing its check digit",
    RECORD.format(coll="vessels", kind="vessel") + r"\.imo: IMO number 9216471 fails its check digit",
)
def _imo_check_digit(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "vessels", imo=9216470)["imo"] = 9216471


@hostile(
    "a claimed MMSI of ten digits",
    RECORD.format(coll="participants", kind="participant") + r"\.claimed_mmsi: claimed_mmsi 4451230001 is out of range",
)
def _mmsi(e: Entries, ids: dict[str, str]) -> None:
    e.records["participants"][0]["claimed_mmsi"] = 4451230001


@hostile("NUL in a title", INC1 + r"\.title: title has a control character \(U\+0000\) at character 4")
def _nul_title(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["title"] = "STS\x00 south of Dalian"


@hostile(
    "evidence size disagreeing with its bytes",
    RECORD.format(coll="evidence", kind="evidence")
    + r"\.size: size 1234 bytes, but its file in the case file has \d+ bytes",
)
def _size(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "evidence", id=ids["photo"])["size"] = 1234


@hostile(
    "a footprint of strings",
    RECORD.format(coll="evidence", kind="evidence")
    + r"\.footprint: footprint position .*expected \[longitude, latitude\] numbers",
)
def _footprint_strings(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "evidence", id=ids["photo"])["footprint"] = {
        "type": "Polygon",
        "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]],
    }


@hostile(
    "a footprint that is a bare list",
    RECORD.format(coll="evidence", kind="evidence")
    + r"\.footprint: footprint must be a GeoJSON geometry object, found list",
)
def _footprint_list(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "evidence", id=ids["photo"])["footprint"] = [[36.5, 123.9], [36.6, 124.0]]


@hostile(
    "non-object metadata",
    RECORD.format(coll="evidence", kind="evidence") + r"\.meta: meta must be a JSON object, found list",
)
def _meta_list(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "evidence", id=ids["photo"])["meta"] = ["not", "an", "object"]


@hostile(
    "metadata nested 100 deep",
    RECORD.format(coll="evidence", kind="evidence") + r"\.meta: meta(\.x)+ is nested more than 64 levels deep",
)
def _meta_deep(e: Entries, ids: dict[str, str]) -> None:
    deep: dict[str, Any] = {}
    for _ in range(100):
        deep = {"x": deep}
    _find(e, "evidence", id=ids["photo"])["meta"] = deep


@hostile("JSON nested 100,000 deep", r"records/case\.json: JSON nested too deeply")
def _json_deep(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["assessment"] = "@@DEEP@@"
    text = json.dumps(e.records).replace('"@@DEEP@@"', "[" * 100_000 + "]" * 100_000)
    e.raw[mf.RECORDS] = text.encode()


@hostile(
    "a whole number of 10^20",
    r"records/case\.json: the whole number 100000000000000000000 is too large: at most 19 digits",
)
def _huge_int(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["cargo_quantity"] = 10**20


@hostile("a 10,000-digit number", r"records/case\.json: the whole number 111111111111… is too large")
def _giant_int(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["radius_m"] = "@@BIG@@"
    e.raw[mf.RECORDS] = json.dumps(e.records).replace('"@@BIG@@"', "1" * 10_000).encode()


@hostile("NaN", r"records/case\.json: NaN is not a number JSON allows")
def _nan(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["radius_m"] = math.nan


@hostile("Infinity", r"records/case\.json: -Infinity is not a number JSON allows")
def _inf(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["lat"] = -math.inf


@hostile("a lone surrogate", INC1 + r"\.title: title has a lone surrogate at character 4")
def _surrogate(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["title"] = "STS\ud800 south"


@hostile("year 9999 with an offset", INC1 + r"\.end_utc: time .* is out of range: expected 1900 to 2200")
def _year_9999(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["end_utc"] = "9999-12-31T23:00:00-05:00"


@hostile(
    "a dangling foreign key (identity citing evidence the file lacks)",
    RECORD.format(coll="vessel_identities", kind="vessel identity")
    + r"\.evidence_id: names evidence 0badc0de-0000-4000-8000-0000000000ff that the file does not hold",
)
def _dangling(e: Entries, ids: dict[str, str]) -> None:
    e.records["vessel_identities"][0]["evidence_id"] = "0badc0de-0000-4000-8000-0000000000ff"


@hostile(
    "a dangling link",
    RECORD.format(coll="links", kind="link")
    + r"\.evidence_id: names evidence 0badc0de-0000-4000-8000-0000000000ff that the file does not hold",
)
def _dangling_link(e: Entries, ids: dict[str, str]) -> None:
    e.records["links"][0]["evidence_id"] = "0badc0de-0000-4000-8000-0000000000ff"


@hostile(
    "AIS positions naming evidence the file lacks",
    r"records/ais_positions\.jsonl: an AIS position names evidence 0badc0de",
)
def _ais_dangling(e: Entries, ids: dict[str, str]) -> None:
    e.ais[3]["evidence_id"] = "0badc0de-0000-4000-8000-0000000000ff"


@hostile(
    "an AIS speed of 10^20",
    r"records/ais_positions\.jsonl:2\.sog: sog 100000000000000000000 is out of range: expected 0 to 102\.3 kn",
)
def _ais_huge(e: Entries, ids: dict[str, str]) -> None:
    e.ais[1]["sog"] = 10**20


@hostile("an AIS course of NaN", r"records/ais_positions\.jsonl:3\.cog: cog must be a finite number, found nan")
def _ais_nan(e: Entries, ids: dict[str, str]) -> None:
    e.ais[2]["cog"] = math.nan


@hostile("an AIS latitude of 10^5000", r"records/ais_positions\.jsonl:4: the whole number 100000000000… is too large")
def _ais_giant(e: Entries, ids: dict[str, str]) -> None:
    e.ais[3]["lat"] = "@@BIG@@"  # Python itself will not print 10**5000 as JSON
    e.raw[mf.AIS] = b"".join(json.dumps(r).encode() + b"\n" for r in e.ais).replace(b'"@@BIG@@"', b"1" + b"0" * 5000)


@hostile(
    "an AIS heading of 9000",
    r"records/ais_positions\.jsonl:5\.heading: heading 9000 is out of range: expected 0 to 511",
)
def _ais_heading(e: Entries, ids: dict[str, str]) -> None:
    e.ais[4]["heading"] = 9000


@hostile("an AIS time in year 2500", r"records/ais_positions\.jsonl:1\.ts: ts \d+ is out of range")
def _ais_time(e: Entries, ids: dict[str, str]) -> None:
    e.ais[0]["ts"] = int(datetime(2500, 1, 1, tzinfo=UTC).timestamp())


@hostile("an AIS MMSI given as text", r"records/ais_positions\.jsonl:1\.mmsi: mmsi must be a whole number, found str")
def _ais_text(e: Entries, ids: dict[str, str]) -> None:
    e.ais[0]["mmsi"] = "445123000"


@hostile("an audit entry with a lone surrogate", r"records/audit\.jsonl:1: entry\.actor has a lone surrogate")
def _audit_surrogate(e: Entries, ids: dict[str, str]) -> None:
    e.audit[0]["actor"] = "analyst\udc00"


@hostile(
    "the same evidence file twice under two ids",
    RECORD.format(coll="evidence", kind="evidence") + r"\.sha256: sha256 [0-9a-f]{{64}} repeats evidence",
)
def _twice(e: Entries, ids: dict[str, str]) -> None:
    twin = copy.deepcopy(_find(e, "evidence", id=ids["photo"]))
    twin["id"] = "0badc0de-0000-4000-8000-000000000030"
    e.records["evidence"].append(twin)


@hostile(
    "a derived copy derived from itself",
    RECORD.format(coll="evidence", kind="evidence") + r"\.derived_from_id: is derived from itself",
)
def _loop(e: Entries, ids: dict[str, str]) -> None:
    item = _find(e, "evidence", id=ids["photo"])
    item["derived_from_id"] = item["id"]
    name = next(f["path"] for f in e.manifest["files"] if f["sha256"] == item["sha256"])
    e.renames[name] = name.replace(mf.EVIDENCE_DIR, mf.DERIVED_DIR, 1)  # where derived copies live


@hostile(
    "an annotation of one point for a box",
    RECORD.format(coll="annotations", kind="annotation") + r"\.points: a box has 1 points, expected 2",
)
def _annotation(e: Entries, ids: dict[str, str]) -> None:
    e.records["annotations"][0]["points"] = [[1, 2]]


@hostile(
    "an annotation far outside its image",
    RECORD.format(coll="annotations", kind="annotation")
    + r"\.points: point \(99999, 5\) lies far outside the 640×480 image",
)
def _annotation_far(e: Entries, ids: dict[str, str]) -> None:
    e.records["annotations"][0]["points"] = [[99999, 5], [10, 10]]


@hostile(
    "a photo whose image width is text",
    RECORD.format(coll="evidence", kind="evidence") + r"\.meta: meta\.image\.width must be a whole number, found str",
)
def _image_width(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "evidence", id=ids["photo"])["meta"]["image"]["width"] = "640"


@hostile(
    "an identity last seen before first seen",
    RECORD.format(coll="vessel_identities", kind="vessel identity")
    + r"\.last_seen: last seen \(1990-01-01T00:00:00Z\) is before first seen",
)
def _identity_order(e: Entries, ids: dict[str, str]) -> None:
    e.records["vessel_identities"][0]["last_seen"] = "1990-01-01T00:00:00Z"


@hostile("an upper-case tag name", INC1 + r"\.tags: tags: tag 'DPRK' is not in the form the app writes")
def _tag(e: Entries, ids: dict[str, str]) -> None:
    _find(e, "incidents", id=ids["inc1"])["tags"] = ["DPRK"]


@hostile("a manifest store id with a control character", r"manifest\.json: store_id: store_id has a control character")
def _store_id(e: Entries, ids: dict[str, str]) -> None:
    e.manifest["store_id"] = "store\x07id"


# Field-by-field: every text field refuses NUL, ESC and a lone surrogate; every number refuses
# out-of-range values; every time refuses year 2300 and a missing zone.

TEXT_FIELDS = {
    "cases": ["title", "caveat", "summary"],
    "vessels": ["name", "flag", "call_sign", "vessel_type", "owner", "notes"],
    "vessel_identities": ["name", "flag", "call_sign", "source"],
    "designations": ["authority", "program", "reference", "remarks"],
    "evidence": ["original_name", "source", "provider", "media_type"],
    "incidents": [
        "title",
        "local_time_text",
        "position_method",
        "reported_location",
        "cargo_kind",
        "cargo_unit",
        "assessment",
    ],
    "participants": ["claimed_name", "claimed_flag"],
    "links": ["note"],
    "annotations": ["label", "author"],
    "reviews": ["reviewer", "rationale"],
}
KIND = {
    "cases": "case",
    "vessels": "vessel",
    "vessel_identities": "vessel identity",
    "designations": "designation",
    "evidence": "evidence",
    "incidents": "incident",
    "participants": "participant",
    "links": "link",
    "annotations": "annotation",
    "reviews": "review",
}
BAD_TEXT = {
    "NUL": ("a\x00b", r"has a control character \(U\+0000\)"),
    "ESC": ("a\x1b[2Jb", r"has a control character \(U\+001B\)"),
    "surrogate": ("a\udfffb", r"has a lone surrogate"),
}


def _set(collection: str, key: str, value: Any) -> Callable[[Entries, dict[str, str]], None]:
    def edit(e: Entries, ids: dict[str, str]) -> None:
        e.records[collection][0][key] = value

    return edit


# Each text field gets one of the bad values in turn (all three across the corpus).
_TEXT = [(c, f) for c, fields in TEXT_FIELDS.items() for f in fields]
for _n, (_coll, _field) in enumerate(_TEXT):
    _label, (_value, _message) = list(BAD_TEXT.items())[_n % len(BAD_TEXT)]
    CORPUS.append(
        Hostile(
            f"{_label} in {_coll}.{_field}",
            _set(_coll, _field, _value),
            r"records/case\.json: "
            + _coll
            + r"\[0\] \("
            + KIND[_coll]
            + r" [0-9a-f-]+\)\."
            + _field
            + r": .*"
            + _message,
        )
    )

NUMBERS = [
    ("incidents", "radius_m", [-1, 1e308, 2e6]),
    ("incidents", "cargo_quantity", [-3, 1e300]),
    ("incidents", "lat", [91, -1000]),
    ("incidents", "lon", [181, 1e10]),
    ("vessels", "length_m", [0, 5000, -110]),
    ("vessels", "beam_m", [1e9]),
    ("vessels", "gross_tonnage", [-1, 1e12]),
    ("vessels", "mmsi", [-445123000, 10**12]),
    ("vessel_identities", "mmsi", [0]),
    ("evidence", "gsd_m", [0, 1e9]),
    ("evidence", "lat", [90.5]),
    ("evidence", "credibility", [7, 0]),
    ("evidence", "reliability", ["G"]),
    ("evidence", "size", [-1]),
    ("annotations", "length_m", [-5, 1e20]),
    ("participants", "claimed_imo", [1234568, 12]),
]
for _coll, _field, _values in NUMBERS:
    for _value in _values:
        CORPUS.append(
            Hostile(
                f"{_coll}.{_field} = {_value!r}",
                _set(_coll, _field, _value),
                r"records/case\.json: " + _coll + r"\[0\] \(" + KIND[_coll] + r" [0-9a-f-]+\)\." + _field + ": ",
            )
        )

TIMES = [
    ("incidents", "start_utc"),
    ("evidence", "capture_time"),
    ("evidence", "acquired_at"),
    ("reviews", "created_at"),
    ("vessel_identities", "first_seen"),
    ("designations", "listed_on"),
]
BAD_TIMES = [
    ("2300-01-01T00:00:00Z", r"is out of range: expected 1900 to 2200"),
    ("1066-10-14T09:00:00Z", r"is out of range: expected 1900 to 2200"),
    ("2019-03-11T14:00:00", r"has no time zone"),
]
for _n, (_coll, _field) in enumerate(TIMES):
    for _value, _message in (BAD_TIMES[_n % 3], BAD_TIMES[(_n + 1) % 3]):
        CORPUS.append(
            Hostile(
                f"{_coll}.{_field} = {_value}",
                _set(_coll, _field, _value),
                r"records/case\.json: "
                + _coll
                + r"\[0\] \("
                + KIND[_coll]
                + r" [0-9a-f-]+\)\."
                + _field
                + r": .*"
                + _message,
            )
        )


# --- the tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Any:
    """The genuine file, and the receiving store (with its own case B) kept open for the whole corpus."""
    folder = tmp_path_factory.mktemp("hostile")
    genuine = build_genuine(folder, shared_data / "imagery" / "exif_gps_photo.jpg")
    target = build_target(folder)
    store = open_store(folder / "target" / "store.sqlite")
    with store.read() as session:
        target["review_b"] = session.scalars(
            select(ReviewEvent.id).where(ReviewEvent.incident_id == target["inc_b"])
        ).one()
    yield {"genuine": genuine, "ids": {**genuine.ids, **target}, "ctx": Context(store, "receiver")}
    store.close()


def store_dump(ctx: Context) -> tuple[dict[str, list[str]], list[str]]:
    """Every row of every table (sorted) and every object file: equal dumps mean an untouched store."""
    tables: dict[str, list[str]] = {}
    with ctx.store.read() as session:
        for table in Base.metadata.sorted_tables:
            tables[table.name] = sorted(repr(tuple(row)) for row in session.execute(select(table)))
    root = ctx.store.objects.root
    return tables, sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_corpus_is_large_enough_and_names_are_unique():
    assert len(CORPUS) >= 100
    assert len({h.name for h in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[h.name for h in CORPUS])
def test_a_hostile_case_file_is_refused_located_and_writes_nothing(
    case: Hostile, world: dict[str, Any], tmp_path: Path
):
    ids, ctx = world["ids"], world["ctx"]
    bad = edit_case_file(world["genuine"].path, tmp_path / "hostile.evcase", lambda e: case.edit(e, ids))
    before = store_dump(ctx)
    with pytest.raises(UserError) as refused:
        casefiles.import_case(ctx, bad)
    expected = case.expect.format(**{k: re.escape(v) for k, v in ids.items()})
    assert re.search(expected, str(refused.value)), f"{refused.value}\n  does not match {expected}"
    assert store_dump(ctx) == before, "a refused file changed the store"
    # Nothing the refusal left behind stands in the way of the genuine file.
    report = casefiles.import_case(ctx, world["genuine"].path)
    assert not report.conflicts
    with ctx.store.read() as session:
        assert session.get(Incident, ids["inc1"]).status == "confirmed"


PARSER_LIMITS = [
    "JSON nested 100,000 deep",
    "a whole number of 10^20",
    "a 10,000-digit number",
    "NaN",
    "Infinity",
    "a lone surrogate",
    "year 9999 with an offset",
    "a dangling link",
    "cross-case injection: a link and a confirmed review on another local case's incident",
]


@pytest.mark.parametrize("name", PARSER_LIMITS)
def test_the_command_line_refuses_with_exit_1_and_one_located_line(
    name: str, world: dict[str, Any], tmp_path: Path, capsys
):
    """What used to end in "something went wrong" (exit 2, SQL in the log) is a located refusal (exit 1)."""
    from evidence_app.cli import main

    case = next(h for h in CORPUS if h.name == name)
    ids, ctx = world["ids"], world["ctx"]
    bad = edit_case_file(world["genuine"].path, tmp_path / "hostile.evcase", lambda e: case.edit(e, ids))
    before = store_dump(ctx)
    code = main(["--db", str(ctx.store.location.sqlite_path), "import", "case", str(bad)])
    _, err = capsys.readouterr()
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("checking")]
    assert len(lines) == 1 and re.search(case.expect.format(**{k: re.escape(v) for k, v in ids.items()}), lines[0]), err
    assert store_dump(ctx) == before


# --- audit forgery: a store is known by its key, not by the id its manifests print ----------------


def _sign_as(path: Path, key: Any) -> Path:
    """Sign an edited (unsigned) file with ``key``: what a holder with a key of their own can do."""
    from evidence_app.casefile import signatures

    with zipfile.ZipFile(path) as z:
        blobs = {i.filename: z.read(i.filename) for i in z.infolist()}
    manifest = json.loads(blobs.pop(mf.MANIFEST))
    manifest["signer"] = signatures.signer_block(key)
    m_bytes = json.dumps(manifest, indent=1).encode()
    out = path.with_name(f"signed-{path.name}")
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(mf.MANIFEST, m_bytes)
        z.writestr(mf.SIGNATURE, signatures.sign_manifest(key, m_bytes))
        for name, data in blobs.items():
            z.writestr(name, data)
    return out


def _rechain(e: Entries, origin: str) -> None:
    """Recompute the hash chain of ``origin``'s entries after an edit, as a forger would."""
    from evidence_app.storage.audit import entry_hash

    prev: dict[str, Any] | None = None
    for entry in e.audit:
        if entry["origin_store_id"] != origin:
            continue
        if prev is not None:
            entry["prev_hash"] = prev["hash"]
        entry["hash"] = entry_hash(
            entry["seq"],
            entry["ts"],
            entry["actor"],
            entry["action"],
            entry["entity"],
            entry["entity_id"],
            entry["payload"],
            entry["prev_hash"],
            entry.get("content"),
        )
        prev = entry


def _renamed(e: Entries, origin: str) -> None:
    for entry in e.audit:
        if entry["origin_store_id"] == origin and entry["actor"] == "analyst-b":
            entry["actor"] = "chief-analyst"
    _rechain(e, origin)


def _invented(e: Entries, origin: str) -> None:
    own = [entry for entry in e.audit if entry["origin_store_id"] == origin]
    extra = dict(
        own[-1],
        seq=own[-1]["seq"] + 1,
        actor="chief-analyst",
        action="review.confirm",
        payload='{"rationale":"confirmed by the chief","to":"confirmed"}',
    )
    e.audit.insert(e.audit.index(own[-1]) + 1, extra)
    _rechain(e, origin)


def _erased(e: Entries, origin: str) -> None:
    own = [entry for entry in e.audit if entry["origin_store_id"] == origin]
    e.audit.remove(own[len(own) // 2])
    for entry in own[len(own) // 2 + 1 :]:
        entry["seq"] -= 1
    _rechain(e, origin)


FORGERIES: dict[str, Callable[[Entries, str], None]] = {
    "the second reviewer's audit entries rewritten with another name": _renamed,
    "an invented confirmation appended to the colleague's history": _invented,
    "an entry erased and the colleague's history renumbered": _erased,
}


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_audit_history_is_refused_and_the_genuine_file_still_imports(
    name: str, world: dict[str, Any], tmp_path: Path
):
    from evidence_app.storage import signing

    ctx, genuine = world["ctx"], world["genuine"].path
    casefiles.import_case(ctx, genuine)  # the receiver now knows the workstation by analyst-a's key
    with zipfile.ZipFile(genuine) as z:
        origin = json.loads(z.read(mf.MANIFEST))["store_id"]
    forge = FORGERIES[name]
    unsigned = edit_case_file(genuine, tmp_path / "forged.evcase", lambda e: forge(e, origin))
    mallory = signing.load_or_create_key("mallory")

    def as_mallorys_store(e: Entries) -> None:
        forge(e, origin)
        e.manifest["store_id"] = "0badc0de-0000-4000-8000-000000000000"

    relayed = _sign_as(edit_case_file(genuine, tmp_path / "relayed.evcase", as_mallorys_store), mallory)
    cases_ = [
        (
            unsigned,
            r"manifest\.json: the file is unsigned, but the store it says it comes from \("
            + re.escape(origin)
            + r"\) signs its case files",
        ),
        (
            _sign_as(unsigned, mallory),
            r"manifest\.sig: .*known here by the key of analyst-a .* signed by mallory with another key",
        ),
        (
            relayed,
            r"records/audit\.jsonl: audit entry \d+ of store "
            + re.escape(origin)
            + r" .* is not signed by a key that store is known under here",
        ),
    ]
    for bad, expect in cases_:
        before = store_dump(ctx)
        with pytest.raises(UserError, match=expect):
            casefiles.import_case(ctx, bad)
        assert store_dump(ctx) == before, "a refused file changed the store"
    report = casefiles.import_case(ctx, genuine)
    assert not report.conflicts and report.audit_entries_unverified == 0
