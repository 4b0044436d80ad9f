"""A case built from imports, the way analysts build one, travels to a fresh store through the CLI.

Registry CSV and OFAC SDN file give the vessels their identity history and designation
(each identity and designation cites the registry file's evidence item), an AIS file
gives the tracks, and an incident names the sanctioned vessel as a participant.
"""

from __future__ import annotations

import json
from pathlib import Path

from evidence_app.cli import main
from tests.published_layouts import MARINECADASTRE_HEADER_LINE

REGISTRY = (
    "IMO,MMSI,Name,Flag,Type,Length,Beam,Owner\n"
    "9123453,445123000,CHON MA SAN,Korea (DPRK),Oil Products Tanker,110,17,Korea Chonmasan Shipping\n"
    "9216470,352001234,NEW REGENT,Panama,Oil Products Tanker,104,16,Regent Marine\n"
)
# OFAC's SDN.CSV: no header, '-0-' for empty, IMO and MMSI in the remarks, a DOS EOF mark.
SDN = (
    '36111,"CHON MA SAN","vessel","DPRK3","-0-","HMYF5","Oil Products Tanker","-0-","2808","Korea, North",'
    '"Korea Chonmasan Shipping","Vessel Registration Identification IMO 9123453; MMSI 445123000; '
    'Former Vessel Flag Sierra Leone."\n'
    '36112,"KIM JONG","individual","DPRK3","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\n'
    "\x1a\n"
)
AIS = MARINECADASTRE_HEADER_LINE + "".join(
    f"445123000,2019-03-11T{12 + i // 6:02d}:{(i % 6) * 10:02d}:00,{36.40 + i * 0.004:.4f},{123.80 + i * 0.0037:.4f},6.0,40.0,40,"
    f"CHON MA SAN,IMO9123453,HMYF5,80,0,110,17,8.0,80,A\n"
    f"352001234,2019-03-11T{12 + i // 6:02d}:{(i % 6) * 10:02d}:00,{36.70 - i * 0.0035:.4f},{124.10 - i * 0.0035:.4f},5.5,220.0,220,"
    f"NEW REGENT,IMO9216470,3FXX9,80,0,104,16,7.5,80,A\n"
    for i in range(24)
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def build_imported_case(capsys, db: str, files: Path) -> str:
    """Registry, OFAC SDN and AIS imports, then an incident naming the sanctioned tanker; the case id."""
    files.mkdir(parents=True, exist_ok=True)
    (files / "registry.csv").write_text(REGISTRY)
    (files / "SDN.CSV").write_text(SDN)
    (files / "ais_2019-03-11.csv").write_text(AIS)
    for argv in (
        ("import", "vessels", str(files / "registry.csv")),
        ("import", "vessels", str(files / "SDN.CSV")),
        ("import", "ais", str(files / "ais_2019-03-11.csv")),
    ):
        code, _, err = run(capsys, "--db", db, *argv)
        assert code == 0, err
    code, out, err = run(capsys, "--db", db, "--json", "case", "create", "Yellow Sea 2019", "--caveat", "OFFICIAL")
    assert code == 0, err
    case_id = json.loads(out)["id"]
    code, _, err = run(
        capsys,
        "--db",
        db,
        "incident",
        "add",
        "--case",
        case_id,
        "--start",
        "2019-03-11T14:00",
        "--lat",
        "36.55",
        "--lon",
        "123.95",
        "--participant",
        "9123453:receiver",
        "--participant",
        "9216470:supplier",
    )
    assert code == 0, err
    return case_id


def test_a_case_built_from_registry_sdn_and_ais_imports_round_trips_through_the_cli(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "workstation.sqlite")
    case_id = build_imported_case(capsys, db, tmp_path / "files")
    out = tmp_path / "case.evcase"
    code, _, err = run(capsys, "--db", db, "export", "case", case_id, str(out), "--no-report")
    assert code == 0, err

    fresh = str(tmp_path / "committee.sqlite")
    code, text, err = run(capsys, "--db", fresh, "--json", "import", "case", str(out))
    assert code == 0, err
    report = json.loads(text)
    assert report["new_case"] is True
    assert report["added"]["vessel_identity"] >= 3 and report["added"]["designation"] == 1
    code, text, err = run(capsys, "--db", fresh, "--json", "vessel", "show", "9123453")
    assert code == 0, err
    shown = json.loads(text)
    assert [d["authority"] for d in shown["designations"]] == ["OFAC"]
    code, text, _ = run(capsys, "--db", fresh, "verify")
    assert code == 0 and text.startswith("OK"), text


def test_records_merge_whatever_order_the_file_lists_them_in(tmp_path: Path, capsys) -> None:
    """Every list reversed (derived items before their originals, identities before evidence): still merges."""
    from evidence_app.casefile.importer import open_case_file
    from evidence_app.casefile.merge import merge_case_file
    from evidence_app.casefile.record_dicts import store_id
    from evidence_app.storage.db import open_store

    db = str(tmp_path / "workstation.sqlite")
    case_id = build_imported_case(capsys, db, tmp_path / "files")
    out = tmp_path / "case.evcase"
    assert run(capsys, "--db", db, "export", "case", case_id, str(out), "--no-report")[0] == 0
    fresh = open_store(tmp_path / "fresh.sqlite")
    cf = open_case_file(out)
    try:
        for rows in cf.records.records.values():
            rows.reverse()
        for member in cf.evidence_members.values():
            with cf.open_member(member) as fh:
                fresh.objects.put_stream(fh, total=cf.files[member]["size"])
        with fresh.write() as session:
            report = merge_case_file(session, "committee", cf, store_id(session), "import-1")
    finally:
        cf.close()
        fresh.close()
    assert report.added["vessel_identity"] >= 3 and report.added["designation"] == 1 and not report.conflicts


def test_an_evidence_item_derived_from_itself_is_refused_by_name() -> None:
    import pytest

    from evidence_app.casefile.record_dicts import CaseRecords, merge_order
    from evidence_app.domain.errors import UserError

    records = CaseRecords()
    records.records["evidence"] = [
        {"id": "aaaaaaaa-1", "derived_from_id": "bbbbbbbb-2"},
        {"id": "bbbbbbbb-2", "derived_from_id": "aaaaaaaa-1"},
    ]
    with pytest.raises(UserError, match="derived from itself") as caught:
        list(merge_order(records))
    assert "evidence" in caught.value.location
