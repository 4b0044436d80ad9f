"""Sanctions lists as their publishers publish them: OFAC's ``sdn.csv`` (no header, twelve
columns, ``-0- `` for empty) and the UN Security Council's consolidated list (XML). Every
vessel row becomes a designated vessel or is listed in the report with its reason;
entries that are not vessels are counted as "not a vessel", never as problems."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select

from evidence_app.services import imports
from evidence_app.storage.models import Designation, Vessel

NULL = "-0- "


def sdn_row(
    ent_num: int,
    name: str,
    sdn_type: str = NULL,
    program: str = "DPRK3",
    title: str = NULL,
    call_sign: str = NULL,
    vess_type: str = NULL,
    tonnage: str = NULL,
    grt: str = NULL,
    flag: str = NULL,
    owner: str = NULL,
    remarks: str = NULL,
) -> list[str]:
    return [str(ent_num), name, sdn_type, program, title, call_sign, vess_type, tonnage, grt, flag, owner, remarks]


def write_sdn(path: Path, rows: list[list[str]]) -> Path:
    """As OFAC writes sdn.csv: no header, text fields quoted, CRLF line ends, a DOS end-of-file mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for row in rows:
        writer.writerow([int(row[0]), *row[1:]])
    path.write_bytes(buffer.getvalue().encode("latin-1") + b"\x1a")
    return path


SDN_ROWS = [
    sdn_row(36, "AEROCARIBBEAN AIRLINES", program="CUBA", remarks="Havana, Cuba."),
    sdn_row(
        2674,
        "ABBAS, Abu",
        sdn_type="individual",
        program="SDGT",
        title="Secretary General",
        remarks="DOB 10 Dec 1948; POB Safad, Israel.",
    ),
    sdn_row(
        23474,
        "CHON MA SAN",
        sdn_type="vessel",
        call_sign="HMZP",
        vess_type="Crude Oil Tanker",
        grt="2900",
        flag="Korea, North",
        remarks="Vessel Registration Identification IMO 8660313; MMSI 445127000; "
        "Linked To: KOREA YUJONG SHIPPING CO LTD.",
    ),
    # The registration number without the word "IMO".
    sdn_row(
        23475,
        "YU JONG 2",
        sdn_type="vessel",
        vess_type="Oil Products Tanker",
        grt="1996",
        flag="Korea, North",
        remarks="Vessel Registration Identification 8604917; Linked To: KOREA YUJONG SHIPPING CO LTD.",
    ),
    # Known only by its MMSI.
    sdn_row(
        23476,
        "KUM UN SAN 3",
        sdn_type="vessel",
        vess_type="Cargo",
        flag="Korea, North",
        remarks="MMSI 445113000; Linked To: KOREA KUMUNSAN SHIPPING COMPANY.",
    ),
    # A vessel with no usable identifier: listed in the report with the reason.
    sdn_row(
        23477,
        "SAM MA 2",
        sdn_type="vessel",
        vess_type="Oil Products Tanker",
        flag="Korea, North",
        remarks="Vessel Registration Identification IMO 8106497; Linked To: EXAMPLE CO.",
    ),
    sdn_row(
        23478, "NAMELESS BARGE", sdn_type="vessel", flag="Korea, North", remarks="Linked To: KOREA SAMMA SHIPPING CO."
    ),
    sdn_row(
        23479, "KOREA YUJONG SHIPPING CO LTD", remarks="Pyongyang, Korea, North; Identification Number IMO 5607843."
    ),
]


def designations(ctx) -> dict[str, tuple[int | None, int | None, str, str]]:
    with ctx.store.read() as s:
        return {
            d.reference: (v.imo, v.mmsi, v.name, d.program)
            for d, v in s.execute(select(Designation, Vessel).join(Vessel, Vessel.id == Designation.vessel_id))
        }


def test_ofac_sdn_vessels_without_imo_word_or_with_mmsi_only_are_imported(ctx, tmp_path: Path) -> None:
    report = imports.import_vessels(ctx, write_sdn(tmp_path / "sdn.csv", SDN_ROWS))
    assert report.read == 8
    assert designations(ctx) == {
        "SDN 23474": (8660313, 445127000, "CHON MA SAN", "DPRK3"),
        "SDN 23475": (8604917, None, "YU JONG 2", "DPRK3"),
        "SDN 23476": (None, 445113000, "KUM UN SAN 3", "DPRK3"),
    }
    assert report.imported == {"vessel": 3}
    # Non-vessels are counted, not listed as problems; each vessel not taken is listed with its reason.
    assert report.skipped == {"not_vessel": 3, "bad_imo": 1, "missing_field": 1}
    assert report.read == sum(report.imported.values()) + sum(report.skipped.values())
    assert len(report.problems) == 2
    assert "sdn.csv:6" in report.problems[0] and "SAM MA 2" in report.problems[0] and "8106497" in report.problems[0]
    assert "sdn.csv:7" in report.problems[1] and "NAMELESS BARGE" in report.problems[1]
    assert "not a vessel" in report.text()


def un_entity(
    dataid: int,
    name: str,
    reference: str,
    comments: str,
    listed_on: str = "2018-03-30",
    list_type: str = "DPRK",
    aliases: tuple[str, ...] = (),
) -> str:
    alias_xml = (
        "".join(
            f"<ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>{escape(a)}</ALIAS_NAME></ENTITY_ALIAS>"
            for a in aliases
        )
        or "<ENTITY_ALIAS><QUALITY/><ALIAS_NAME/></ENTITY_ALIAS>"
    )
    return (
        f"<ENTITY><DATAID>{dataid}</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>{escape(name)}</FIRST_NAME>"
        f"<UN_LIST_TYPE>{list_type}</UN_LIST_TYPE><REFERENCE_NUMBER>{reference}</REFERENCE_NUMBER>"
        f"<LISTED_ON>{listed_on}</LISTED_ON><COMMENTS1>{escape(comments)}</COMMENTS1>"
        f"<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE><LAST_DAY_UPDATED><VALUE/></LAST_DAY_UPDATED>"
        f"{alias_xml}<ENTITY_ADDRESS><COUNTRY>Democratic People's Republic of Korea</COUNTRY></ENTITY_ADDRESS>"
        f"<SORT_KEY/><SORT_KEY_LAST_MOD/></ENTITY>"
    )


def un_list(individuals: list[str], entities: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="https://scsanctions.un.org/resources/xml/sc-sanctions.xsd" '
        'dateGenerated="2024-05-14T10:01:02.123-04:00">'
        f"<INDIVIDUALS>{''.join(individuals)}</INDIVIDUALS><ENTITIES>{''.join(entities)}</ENTITIES>"
        "</CONSOLIDATED_LIST>"
    )


INDIVIDUAL = (
    "<INDIVIDUAL><DATAID>6908432</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>RI</FIRST_NAME>"
    "<SECOND_NAME>JE-SON</SECOND_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.001"
    "</REFERENCE_NUMBER><LISTED_ON>2009-07-16</LISTED_ON><COMMENTS1>Director</COMMENTS1>"
    "<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE><INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/>"
    "</INDIVIDUAL_ALIAS><INDIVIDUAL_ADDRESS><COUNTRY/></INDIVIDUAL_ADDRESS><SORT_KEY/>"
    "<SORT_KEY_LAST_MOD/></INDIVIDUAL>"
)


def test_un_consolidated_list_designates_the_vessels_it_names(ctx, tmp_path: Path) -> None:
    path = tmp_path / "consolidated.xml"
    path.write_text(
        un_list(
            [INDIVIDUAL],
            [
                un_entity(
                    6908555,
                    "CHON MA SAN",
                    "KPe.072",
                    "Tanker. IMO: 8660313. MMSI: 445127000. Listed pursuant to paragraph 12 of resolution 2397 (2017).",
                ),
                un_entity(
                    6908556,
                    "KOREA ANSAN SHIPPING COMPANY",
                    "KPe.060",
                    "Owner of vessels AN SAN 1 (IMO: 7303803) and YU PHYONG 5 (IMO: 8605026).",
                ),
                un_entity(
                    6908557,
                    "KOREA MINING DEVELOPMENT TRADING CORPORATION",
                    "KPe.001",
                    "Primary arms dealer and main exporter of goods and equipment related to ballistic missiles.",
                ),
                un_entity(6908558, "PETREL 8", "KPe.080", "Vessel, IMO: 9562234 (as published)."),
                un_entity(6908001, "AL-QAIDA", "QDe.004", "Founded by Usama bin Laden.", list_type="Al-Qaida"),
            ],
        ),
        encoding="utf-8",
    )
    report = imports.import_vessels(ctx, path)
    found = designations(ctx)
    assert set(found) == {"UN KPe.072", "UN KPe.060"}
    with ctx.store.read() as s:
        refs = sorted(
            (v.imo, d.reference, d.authority)
            for d, v in s.execute(select(Designation, Vessel).join(Vessel, Vessel.id == Designation.vessel_id))
        )
        assert refs == [
            (7303803, "UN KPe.060", "UN Security Council"),
            (8605026, "UN KPe.060", "UN Security Council"),
            (8660313, "UN KPe.072", "UN Security Council"),
        ]
        chon = s.scalar(select(Vessel).where(Vessel.imo == 8660313))
        assert chon.name == "CHON MA SAN" and chon.mmsi == 445127000
        listed = s.scalar(select(Designation.listed_on).where(Designation.reference == "UN KPe.072"))
        assert listed is not None and listed.year == 2018
    assert report.imported == {"vessel": 3}
    # Individuals and entities naming no vessel are "not a vessel"; a failing IMO is a listed problem.
    assert report.skipped == {"not_vessel": 3, "bad_imo": 1}
    assert report.read == sum(report.imported.values()) + sum(report.skipped.values())
    assert len(report.problems) == 1 and "KPe.080" in report.problems[0] and "9562234" in report.problems[0]
