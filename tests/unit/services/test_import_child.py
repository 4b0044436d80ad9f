"""A large AIS file is read in a child process: same report, same rows, same refusals as in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from evidence_app.domain.errors import UserError
from evidence_app.services import imports
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store
from evidence_app.storage.models import AisPosition, Evidence, VesselIdentity

HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width\n"


def write_csv(path: Path) -> Path:
    lines = [HEADER]
    for i in range(3000):
        name = "OLD NAME" if i < 1500 else "NEW NAME"
        lines.append(
            f"{636021061 + i % 3},2023-01-11T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d},"
            f"{10 + i / 1e4:.4f},20.5,{'102.3' if i % 7 == 0 else '5.5'},90.0,{'511' if i % 5 else '45'},"
            f"{name},IMO9307839,5LCB4,70,0,208.0,30.0\n"
        )
    lines[100] = "636021061,2023-01-11T00:01:39,91,181,,,,,,,,,,\n"
    lines[2000] = "636021061,not a time,1,1,,,,,,,,,,\n"
    path.write_text("".join(lines))
    return path


def import_into(tmp: Path, name: str, data: Path, child: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(imports, "CHILD_READER_BYTES", 0 if child else 1 << 60)
    store = open_store(tmp / f"{name}.sqlite")
    try:
        report = imports.import_ais(Context(store, "analyst"), [data])
        with store.read() as s:
            t = AisPosition.__table__.c
            rows = [
                tuple(r)
                for r in s.execute(
                    select(t.mmsi, t.ts, t.lat, t.lon, t.sog, t.cog, t.heading, t.nav_status).order_by(t.id)
                )
            ]
            identities = sorted((i.name, i.first_seen, i.last_seen) for i in s.scalars(select(VesselIdentity)))
            meta = s.scalars(select(Evidence)).one().meta["import"]
    finally:
        store.close()
    return report, rows, identities, meta


def test_child_reader_gives_what_the_in_process_reader_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_csv(tmp_path / "day.csv")
    child = import_into(tmp_path, "child", data, True, monkeypatch)
    here = import_into(tmp_path, "here", data, False, monkeypatch)
    report, rows, identities, meta = child
    assert report.read == 3000 and report.imported == {"position": 2998}
    assert report.skipped == {"bad_time": 1, "position_not_available": 1}
    assert [p.split(": ")[0] for p in report.problems] == ["day.csv:101", "day.csv:2001"]
    assert [name for name, _first, _last in identities] == ["NEW NAME"] * 3 + ["OLD NAME"] * 3  # 3 MMSIs
    assert rows[0] == (636021061, 1673395200, 10.0, 20.5, None, 90.0, 45, 0)
    assert meta["vessels"] == 3
    here_report, here_rows, here_identities, here_meta = here
    assert report.as_dict() | {"evidence_ids": []} == here_report.as_dict() | {"evidence_ids": []}
    assert rows == here_rows and identities == here_identities
    assert {k: v for k, v in meta.items() if k != "at"} == {k: v for k, v in here_meta.items() if k != "at"}


def test_child_refusal_is_a_located_user_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "nocols.csv"
    bad.write_text("ship,when,where\n1,2,3\n")
    monkeypatch.setattr(imports, "CHILD_READER_BYTES", 0)
    store = open_store(tmp_path / "s.sqlite")
    try:
        with pytest.raises(UserError, match="cannot find column") as caught:
            imports.import_ais(Context(store, "analyst"), [bad], fmt="csv")
        assert caught.value.location == "nocols.csv:1"
        with store.read() as s:
            assert s.scalars(select(Evidence)).first() is None
    finally:
        store.close()
