"""A realistic case for the case-file tests: vessels with identity history, incidents, a real photo, AIS."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert


def make_png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (320, 200)) -> Path:
    """A small synthetic 'satellite' image: sea with two ship-shaped blobs side by side."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (18, 52, 86))
    draw = ImageDraw.Draw(img)
    draw.rectangle([90, 80, 200, 100], fill=colour)
    draw.rectangle([95, 104, 190, 120], fill=(200, 200, 190))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def build_case(ctx, files_dir: Path, photo: Path) -> dict[str, str]:
    """Create the fixture case in ``ctx.store``; return the ids the tests need."""
    from evidence_app.services import cases, evidence, incidents, review, vessels
    from evidence_app.storage import audit
    from evidence_app.storage.models import (
        AisPosition,
        Annotation,
        Designation,
        Evidence,
        VesselIdentity,
    )

    case = cases.create_case(
        ctx,
        "Yellow Sea 2019: refined petroleum",
        caveat="OFFICIAL-SENSITIVE",
        summary="Suspected STS transfers of refined petroleum to DPRK-flagged tankers <b>not</b> HTML.",
    )
    chon = vessels.add_vessel(
        ctx, imo=9123453, mmsi=445123000, name="CHON MA SAN", length_m=110, flag="DPRK", vessel_type="Tanker"
    )
    regent = vessels.add_vessel(ctx, imo=9216470, mmsi=352001234, name="NEW REGENT", length_m=104, vessel_type="Tanker")
    start = datetime(2019, 3, 11, 14, tzinfo=UTC)
    inc1 = incidents.add_incident(
        ctx,
        case.id,
        start_utc=start,
        end_utc=start + timedelta(hours=5),
        lat=36.55,
        lon=123.95,
        radius_m=1500,
        title="STS south of Dalian",
        position_method="satellite image",
        reported_location="Yellow Sea, 60 nm SE of Dalian",
        cargo_kind="refined petroleum",
        indicators=["alongside", "hoses"],
        participants=[
            incidents.ParticipantSpec("9123453", "receiver"),
            incidents.ParticipantSpec("9216470", "supplier"),
        ],
    )
    inc2 = incidents.add_incident(
        ctx,
        case.id,
        start_utc=start + timedelta(days=12),
        lat=38.95,
        lon=123.10,
        radius_m=4000,
        title="Night rendezvous in Korea Bay",
        cargo_kind="refined petroleum",
        participants=[incidents.ParticipantSpec("9123453", "receiver")],
    )
    result = evidence.attach_files(ctx, inc1.id, [photo], kind="photo")
    photo_id = result.attached[0]
    evidence.update_evidence(
        ctx,
        photo_id,
        lat=36.56,
        lon=123.94,
        reliability="B",
        credibility=2,
        source="Commercial imagery",
        capture_time=start + timedelta(hours=2),
        footprint={
            "type": "Polygon",
            "coordinates": [[[123.90, 36.52], [123.99, 36.52], [123.99, 36.60], [123.90, 36.60], [123.90, 36.52]]],
        },
    )
    ais_file = files_dir / "ais_2019-03-11.csv"
    ais_file.write_text("MMSI,BaseDateTime,LAT,LON\n445123000,2019-03-11T12:00:00,36.40,123.80\n")
    ais = evidence.attach_files(ctx, inc1.id, [ais_file], kind="ais")
    ais_id = ais.attached[0]
    with ctx.store.write() as session:
        chon_row = session.get(type(chon), chon.id)
        session.add(
            VesselIdentity(
                vessel_id=chon.id,
                name="CHON MA SAN",
                flag="DPRK",
                mmsi=445123000,
                first_seen=datetime(2015, 1, 1, tzinfo=UTC),
                source="IHS registry",
            )
        )
        session.add(
            VesselIdentity(
                vessel_id=chon.id,
                name="XIN YUAN 18",
                flag="Sierra Leone",
                mmsi=667001234,
                first_seen=datetime(2012, 5, 1, tzinfo=UTC),
                last_seen=datetime(2014, 12, 1, tzinfo=UTC),
                source="Equasis",
            )
        )
        session.add(
            Designation(vessel_id=chon.id, authority="UN 1718 Committee", program="DPRK", reference="UNSC res. 2397")
        )
        note = Annotation(
            evidence_id=photo_id,
            shape="box",
            points=[[200, 150], [420, 300]],
            label="Two tankers alongside",
            author="analyst-a",
        )
        session.add(note)
        session.flush()
        audit.record(session, ctx.actor, "annotation.add", "evidence", photo_id, {"annotation": note.id})
        base = int(start.timestamp()) - 3 * 3600
        rows = []
        for i in range(40):
            t = base + i * 600
            rows.append(
                {
                    "mmsi": 445123000,
                    "ts": t,
                    "lat": 36.40 + i * 0.004,
                    "lon": 123.80 + i * 0.0037,
                    "sog": 6.0,
                    "cog": 40.0,
                    "heading": 40,
                    "nav_status": 0,
                    "evidence_id": ais_id,
                }
            )
            rows.append(
                {
                    "mmsi": 352001234,
                    "ts": t,
                    "lat": 36.70 - i * 0.0035,
                    "lon": 124.10 - i * 0.0035,
                    "sog": 5.5,
                    "cog": 220.0,
                    "heading": 220,
                    "nav_status": 0,
                    "evidence_id": ais_id,
                }
            )
        session.execute(insert(AisPosition), rows)
        assert chon_row is not None and session.get(Evidence, photo_id) is not None
    review.review(ctx, inc1.id, "under_review", rationale="imagery shows two hulls alongside")
    return {
        "case": case.id,
        "inc1": inc1.id,
        "inc2": inc2.id,
        "photo": photo_id,
        "ais": ais_id,
        "chon": chon.id,
        "regent": regent.id,
    }


@pytest.fixture
def sample_photo(shared_data: Path) -> Path:
    return shared_data / "imagery" / "exif_gps_photo.jpg"


@pytest.fixture
def workstation(tmp_path: Path, sample_photo: Path, backend: str, request: pytest.FixtureRequest):
    """The office store (SQLite, or a PostgreSQL database in tests marked ``backends``)."""
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    if backend == "sqlite":
        store = open_store(tmp_path / "workstation" / "store.sqlite")
    else:
        store = open_store(request.getfixturevalue("pg_url"), objects_dir=tmp_path / "workstation" / "objects")
    ctx = Context(store, "analyst-a")
    files = tmp_path / "files"
    files.mkdir()
    ids = build_case(ctx, files, sample_photo)
    yield ctx, ids
    store.close()


@pytest.fixture
def new_store(tmp_path: Path):
    """Opens fresh, empty stores (the field laptop) and closes them at the end."""
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    opened = []

    def make(name: str, actor: str = "field-analyst"):
        store = open_store(tmp_path / name / "store.sqlite")
        opened.append(store)
        return Context(store, actor)

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def png_maker():
    return make_png
