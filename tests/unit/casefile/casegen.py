"""Generated cases, built through the services the way analysts build them (hypothesis strategies).

A ``CasePlan`` is plain data drawn by hypothesis; ``build_case`` carries it out against a
store: vessel registry CSVs (a later file renames or reflags a vessel, which adds to its
identity history) and the OFAC SDN layout (designations), AIS files imported as files,
encounter detections turned into incidents with their reports, photos imported with a
world file, annotations and annotated (derived) copies, tags on incidents and evidence,
Admiralty gradings, placements on the map, four-eyes proposals confirmed by a second
reviewer, re-opened decisions, a conflict from a colleague resolved, and deletions
(detached evidence, removed participants and tags, deleted annotations).

Expensive inputs (images, AIS files, a migrated empty store) are made once per session by
``Kit`` and reused by every example.
"""

from __future__ import annotations

import io
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import strategies as st

from tests.published_layouts import MARINECADASTRE_HEADER_LINE

# Vessels of the generated world: (IMO with a valid check digit, MMSI, name, flag).
POOL = (
    (9123453, 445123000, "CHON MA SAN", "Korea, North"),
    (9216470, 352001234, "NEW REGENT", "Panama"),
    (8660313, 445234000, "YU JONG 2", "Korea, North"),
    (9038440, 667001234, "KATRIN", "Sierra Leone"),
)
RENAMES = ("XIN YUAN 18", "SUN BLUE", "KUM UN SAN 3")
FLAGS = ("Togo", "Mongolia", "Comoros")
ROLES = ("supplier", "receiver", "escort", "unknown")
TAGS = ("sts", "night", "coal", "fuel oil", "follow up")
# Where the two encounter vessels meet, far from any shore (Yellow Sea).
MEET = (35.20, 124.30)
START = datetime(2019, 3, 11, 12, tzinfo=UTC)
AIS_HEADER = MARINECADASTRE_HEADER_LINE


@dataclass(frozen=True)
class IncidentPlan:
    hours: int
    lat: float
    lon: float
    participants: tuple[tuple[int, str], ...]
    tags: tuple[str, ...]
    photo: int | None
    annotate: bool
    derived: bool
    grade: tuple[str, int] | None
    evidence_tag: str | None
    attach_ais: bool
    place: tuple[float, float] | None
    decision: str | None  # confirmed / rejected / inconclusive, or None (left suspected or under review)
    reopen: bool
    detach_photo: bool
    remove_participant: bool
    untag: bool
    delete_annotation: bool


@dataclass(frozen=True)
class CasePlan:
    four_eyes: bool
    vessels: tuple[int, ...]  # indices into POOL
    sdn: tuple[int, ...]  # of those, listed in the OFAC SDN file
    renamed: tuple[int, ...]  # renamed / reflagged in a later registry file
    ais: bool  # import the encounter AIS file
    detect: bool  # run the encounter detector and turn detections into incidents
    incidents: tuple[IncidentPlan, ...]
    conflict: str | None  # a colleague's edit clashing with ours, resolved: keep-local / take-incoming


def sometimes(one_in: int = 3) -> st.SearchStrategy[bool]:
    """True about once in ``one_in`` draws: keeps generated cases small (and fast) on average."""
    return st.sampled_from((True,) + (False,) * (one_in - 1))


def incident_plans(n_vessels: int) -> st.SearchStrategy[IncidentPlan]:
    parts = st.lists(
        st.tuples(st.integers(0, n_vessels - 1), st.sampled_from(ROLES)), max_size=3, unique_by=lambda p: p[0]
    ).map(tuple)
    return st.builds(
        IncidentPlan,
        hours=st.integers(0, 24 * 30),
        lat=st.floats(-60, 60).map(lambda v: round(v, 4)),
        lon=st.floats(-179.9, 179.9).map(lambda v: round(v, 4)),
        participants=parts,
        tags=st.lists(st.sampled_from(TAGS), max_size=2, unique=True).map(tuple),
        photo=st.sampled_from((None, None, 0, 1)),
        annotate=st.booleans(),
        derived=sometimes(),
        grade=st.one_of(st.none(), st.tuples(st.sampled_from("ABCDEF"), st.integers(1, 6))),
        evidence_tag=st.one_of(st.none(), st.sampled_from(TAGS)),
        attach_ais=st.booleans(),
        place=st.one_of(st.none(), st.tuples(st.floats(-60, 60), st.floats(-179, 179))),
        decision=st.sampled_from((None, "under_review", "confirmed", "rejected", "inconclusive")),
        reopen=sometimes(),
        detach_photo=sometimes(),
        remove_participant=sometimes(),
        untag=sometimes(),
        delete_annotation=sometimes(),
    )


@st.composite
def case_plans(draw: st.DrawFn, *, max_incidents: int = 2) -> CasePlan:
    vessels = tuple(draw(st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3, unique=True)))
    sdn = tuple(v for v in vessels if draw(st.booleans()))
    renamed = tuple(v for v in vessels if draw(sometimes()))
    ais = draw(st.booleans())
    return CasePlan(
        four_eyes=draw(st.booleans()),
        vessels=vessels,
        sdn=sdn,
        renamed=renamed,
        ais=ais,
        detect=ais and draw(sometimes()),
        incidents=tuple(draw(st.lists(incident_plans(len(vessels)), min_size=1, max_size=max_incidents))),
        conflict=draw(st.sampled_from((None,) * 8 + ("keep-local", "take-incoming"))),
    )


# ---------------------------------------------------------------------------- inputs made once


def _png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (18, 52, 86))
    ImageDraw.Draw(img).rectangle([20, 18, 44, 26], fill=colour)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _ais_encounter() -> str:
    """Two of the pool's tankers drifting side by side for four hours (an encounter), MarineCadastre layout."""
    rows = [AIS_HEADER]
    for i in range(30):
        t = (START + timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        for k, (imo, mmsi, name, _flag) in enumerate(POOL[:2]):
            lat, lon = MEET[0] + k * 0.001 + i * 0.0001, MEET[1] + k * 0.001
            rows.append(f"{mmsi},{t},{lat:.5f},{lon:.5f},0.4,90.0,90,{name},IMO{imo},HM{k},80,0,110,17,8.0,80,A\n")
    return "".join(rows)


@dataclass
class Kit:
    """Inputs reused by every generated case: photos with world files, an AIS file, an empty store."""

    root: Path
    photos: list[Path] = field(default_factory=list)
    ais: Path | None = None
    template: Path | None = None

    @classmethod
    def make(cls, root: Path) -> Kit:
        from evidence_app.storage.db import open_store

        kit = cls(root)
        root.mkdir(parents=True, exist_ok=True)
        for i, colour in enumerate(((200, 190, 180), (180, 40, 40))):
            photo = root / f"scene_{i}.png"
            photo.write_bytes(_png(colour))
            # A world file: north-up, about 3 m a pixel, near the meeting point.
            photo.with_suffix(".pgw").write_text(
                f"0.00003\n0\n0\n-0.00003\n{MEET[1] + i * 0.01}\n{MEET[0] + i * 0.01}\n"
            )
            kit.photos.append(photo)
        kit.ais = root / "ais_2019-03-11.csv"
        kit.ais.write_text(_ais_encounter())
        kit.template = root / "template" / "store.sqlite"
        open_store(kit.template).close()
        return kit

    def store(self, where: Path, actor: str = "analyst-a"):
        """A fresh, migrated, empty store (a copy of the template: no migrations per example)."""
        from evidence_app.services.context import Context
        from evidence_app.storage.db import open_store

        assert self.template is not None
        where.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.template, where / "store.sqlite")
        return Context(open_store(where / "store.sqlite"), actor)

    def scratch(self) -> Path:
        path = self.root / "scratch" / uuid.uuid4().hex[:12]
        path.mkdir(parents=True)
        return path


# ---------------------------------------------------------------------------- building


@dataclass
class Built:
    case_id: str
    incident_ids: list[str]


def _registry(path: Path, rows: list[tuple[int, int, str, str]]) -> Path:
    path.write_text(
        "IMO,MMSI,Name,Flag,Type,Length,Beam\n"
        + "".join(f'{imo},{mmsi},{name},"{flag}",Oil Products Tanker,110,17\n' for imo, mmsi, name, flag in rows)
    )
    return path


def _sdn(path: Path, rows: list[tuple[int, int, str, str]]) -> Path:
    lines = [
        f'{36100 + i},"{name}","vessel","DPRK3","-0-","HM{i}","Oil Products Tanker","-0-","2808","{flag}","-0-",'
        f'"Vessel Registration Identification IMO {imo}; MMSI {mmsi}."\n'
        for i, (imo, mmsi, name, flag) in enumerate(rows)
    ]
    path.write_text(
        "".join(lines) + '99999,"SOMEONE","individual","DPRK3","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\n\x1a\n'
    )
    return path


def build_case(ctx, plan: CasePlan, kit: Kit) -> Built:
    """Carry out ``plan`` in ``ctx.store`` through the services; the case and its incidents' ids."""
    from evidence_app.services import (
        cases,
        detect,
        evidence,
        imports,
        incidents,
        photo_annotations,
        photo_import,
        placement,
        review,
        tags,
    )

    files = kit.scratch()
    vessels = [POOL[i] for i in plan.vessels]
    imports.import_vessels(ctx, _registry(files / "registry.csv", vessels))
    if plan.renamed:
        later = [
            (imo, mmsi, RENAMES[k % len(RENAMES)], FLAGS[k % len(FLAGS)])
            for k, (imo, mmsi, _n, _f) in enumerate(POOL[i] for i in plan.renamed)
        ]
        imports.import_vessels(ctx, _registry(files / "registry-2021.csv", later))
    if plan.sdn:
        imports.import_vessels(ctx, _sdn(files / "SDN.CSV", [POOL[i] for i in plan.sdn]))
    ais_id = None
    if plan.ais:
        assert kit.ais is not None
        report = imports.import_ais(ctx, [kit.ais])
        ais_id = (report.evidence_ids or [None])[0]
    case = cases.create_case(ctx, "Generated case", caveat="OFFICIAL", four_eyes=plan.four_eyes)
    incident_ids: list[str] = []
    if plan.detect:
        found = detect.run_detection(ctx, "encounters").detections
        incident_ids += detect.create_incidents_from_detections(ctx, case.id, found).created
    second = ctx.as_actor("analyst-b")
    for index, inc in enumerate(plan.incidents):
        specs = [incidents.ParticipantSpec(str(vessels[v][0]), role) for v, role in inc.participants]
        row = incidents.add_incident(
            ctx,
            case.id,
            start_utc=START + timedelta(hours=inc.hours),
            lat=inc.lat,
            lon=inc.lon,
            radius_m=1000.0,
            title=f"Incident {index}",
            participants=specs,
        )
        incident_ids.append(row.id)
        for name in inc.tags:
            tags.tag_incident(ctx, row.id, name)
        photo_id = None
        if inc.photo is not None:
            photo_id = photo_import.import_photo(ctx, row.id, kit.photos[inc.photo]).id
            if inc.grade:
                evidence.update_evidence(ctx, photo_id, reliability=inc.grade[0], credibility=inc.grade[1])
            if inc.evidence_tag:
                tags.tag_evidence(ctx, photo_id, inc.evidence_tag)
            if inc.annotate:
                note = photo_annotations.add_annotation(ctx, photo_id, "box", [[10, 10], [40, 30]], "two hulls")
                if inc.derived:
                    photo_annotations.export_annotated(ctx, photo_id)
                if inc.delete_annotation:
                    photo_annotations.delete_annotation(ctx, note["id"])
            if inc.place:
                placement.place_evidence(ctx, photo_id, inc.place[0], inc.place[1])
        if inc.attach_ais and ais_id:
            evidence.relink(ctx, row.id, ais_id)
        if inc.place:
            placement.place_incident(ctx, row.id, inc.place[0], inc.place[1])
        _decide(ctx, second, review, evidence, row.id, inc, plan.four_eyes)
        if inc.detach_photo and photo_id:
            evidence.detach(ctx, row.id, photo_id)
        if inc.remove_participant and inc.participants:
            incidents.remove_participant(ctx, row.id, str(vessels[inc.participants[0][0]][0]))
        if inc.untag and inc.tags:
            tags.untag_incident(ctx, row.id, inc.tags[0])
    if plan.conflict:
        _resolved_conflict(ctx, kit, case.id, incident_ids[-1], plan.conflict)
    return Built(case.id, incident_ids)


def _decide(ctx, second, review, evidence, incident_id: str, inc: IncidentPlan, four_eyes: bool) -> None:
    """Review as the desk allows: a confirmation needs support, and in a four-eyes case a second reviewer."""
    decision = inc.decision
    if decision is None:
        return
    with ctx.store.read() as session:
        supported = evidence.supporting_count(session, incident_id) > 0
    if decision == "confirmed" and not supported:
        decision = "inconclusive"
    review.review(ctx, incident_id, decision, rationale=f"{decision}: imagery and AIS")
    if decision == "confirmed" and four_eyes:
        review.review(second, incident_id, "confirmed", rationale="second look agrees")
    if inc.reopen and decision != "under_review":
        review.review(ctx, incident_id, "under_review", rationale="re-opened: new imagery expected")


def _resolved_conflict(ctx, kit: Kit, case_id: str, incident_id: str, choice: str) -> None:
    """A colleague edits the incident we edit too; their file comes back; the conflict is settled."""
    from evidence_app.services import casefiles, incidents

    there = kit.store(kit.scratch(), "colleague")
    try:
        out = kit.scratch()
        casefiles.export_case(ctx, case_id, out / "to.evcase", with_report=False)
        casefiles.import_case(there, out / "to.evcase")
        incidents.update_incident(there, incident_id, assessment="theirs: two hulls, hoses rigged")
        incidents.update_incident(ctx, incident_id, assessment="ours: hulls alongside")
        casefiles.export_case(there, case_id, out / "back.evcase", with_report=False)
        report = casefiles.import_case(ctx, out / "back.evcase")
        assert [c["record_type"] for c in report.conflicts] == ["incident"], report.conflicts
        casefiles.resolve_conflict(ctx, report.conflicts[0]["id"], choice)
    finally:
        there.store.close()


# ---------------------------------------------------------------------------- diverging edits

EDIT_KINDS = (
    "incident_title",
    "incident_tag",
    "vessel_notes",
    "link_note",
    "detach",
    "participant_role",
    "remove_participant",
    "evidence_source",
    "case_summary",
)
# Record types whose presence in a case follows from others (a vessel, with its identity history
# and designations, is in the case while it takes part in an incident; an evidence item, with
# its annotations, while something links or cites it).
REACHED = ("vessel", "vessel_identity", "designation", "evidence", "annotation")


def edit_lists() -> st.SearchStrategy[list[tuple[str, int]]]:
    return st.lists(st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 1000)), max_size=4)


def by_id(dump: dict) -> dict[tuple[str, str], dict]:
    """A case dump as ``{(record type, id): record}``."""
    return {
        (t, r["id"]): r for t, rows in dump.items() if t not in ("ais_positions", "files", "tombstones") for r in rows
    }


def apply_edits(ctx, side: str, dump: dict, edits: list[tuple[str, int]]) -> set[tuple[str, str]]:
    """Make ``edits`` through the services, with values only this side uses; the records touched."""
    from evidence_app.services import cases, evidence, incidents, tags, vessels

    touched: set[tuple[str, str]] = set()
    gone: set[tuple[str, str]] = set()
    vessel_imo = {v["id"]: v["imo"] for v in dump["vessel"]}

    def pick(record_type: str, n: int) -> dict | None:
        rows = [r for r in dump[record_type] if (record_type, r["id"]) not in gone]
        return rows[n % len(rows)] if rows else None

    for number, (kind, n) in enumerate(edits):
        value = f"{side} {number}"
        if kind in ("incident_title", "incident_tag") and (inc := pick("incident", n)):
            if kind == "incident_title":
                incidents.update_incident(ctx, inc["id"], title=value)
            else:
                tags.tag_incident(ctx, inc["id"], f"{side.lower()}-{number}")
            touched.add(("incident", inc["id"]))
        elif kind == "vessel_notes" and (v := pick("vessel", n)):
            vessels.update_vessel(ctx, v["id"], notes=value)
            touched.add(("vessel", v["id"]))
        elif kind == "evidence_source" and (e := pick("evidence", n)):
            evidence.update_evidence(ctx, e["id"], source=value)
            touched.add(("evidence", e["id"]))
        elif kind == "case_summary":
            cases.update_case(ctx, dump["case"][0]["id"], summary=value)
            touched.add(("case", dump["case"][0]["id"]))
        elif kind in ("link_note", "detach") and (link := pick("link", n)):
            if kind == "link_note":
                evidence.set_link(ctx, link["incident_id"], link["evidence_id"], note=value)
            else:
                evidence.detach(ctx, link["incident_id"], link["evidence_id"])
                gone.add(("link", link["id"]))
            touched.add(("link", link["id"]))
        elif kind in ("participant_role", "remove_participant") and (p := pick("participant", n)):
            imo = str(vessel_imo[p["vessel_id"]])
            if kind == "participant_role":
                shift = 1 if side == "A" else 2
                role = ROLES[(ROLES.index(p["role"]) + shift) % len(ROLES)]
                incidents.set_participant(ctx, p["incident_id"], imo, role)
            else:
                incidents.remove_participant(ctx, p["incident_id"], imo)
                gone.add(("participant", p["id"]))
            touched.add(("participant", p["id"]))
    return touched
