"""Satellite-AIS provider CSVs (the Spire / exactEarth decoded layout): 139 quoted columns, one
row per decoded message, ``Message_ID`` its type and ``Time`` as ``YYYYMMDD_HHMMSS``. Static
messages (5, 19, 24) in the same file build identity history; rows of other types are
counted under their own reason."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from evidence_app.services import imports
from evidence_app.storage.models import AisPosition, Vessel, VesselIdentity

# The provider's header, column for column (139 names, as its decoded CSV exports carry them).
HEADER = (
    "MMSI,Message_ID,Repeat_indicator,Time,Millisecond,Region,Country,Base_station,Online_data,Group_code,"
    "Sequence_ID,Channel,Data_length,Vessel_Name,Call_sign,IMO,Ship_Type,Dimension_to_Bow,Dimension_to_stern,"
    "Dimension_to_port,Dimension_to_starboard,Draught,Destination,AIS_version,Navigational_status,ROT,SOG,Accuracy,"
    "Longitude,Latitude,COG,Heading,Regional,Maneuver,RAIM_flag,Communication_flag,Communication_state,UTC_year,"
    "UTC_month,UTC_day,UTC_hour,UTC_minute,UTC_second,Fixing_device,Transmission_control,ETA_month,ETA_day,ETA_hour,"
    "ETA_minute,Sequence,Destination_ID,Retransmit_flag,Country_code,Functional_ID,Data,Destination_ID_1,Sequence_1,"
    "Destination_ID_2,Sequence_2,Destination_ID_3,Sequence_3,Destination_ID_4,Sequence_4,Altitude,Altitude_sensor,"
    "Data_terminal,Mode,Safety_text,Non-standard_bits,Name_extension,Name_extension_padding,Message_ID_1_1,Offset_1_1,"
    "Message_ID_1_2,Offset_1_2,Message_ID_2_1,Offset_2_1,Destination_ID_A,Offset_A,Increment_A,Destination_ID_B,"
    "offsetB,incrementB,data_msg_type,station_ID,Z_count,num_data_words,health,unit_flag,display,DSC,band,msg22,"
    "offset1,num_slots1,timeout1,Increment_1,Offset_2,Number_slots_2,Timeout_2,Increment_2,Offset_3,Number_slots_3,"
    "Timeout_3,Increment_3,Offset_4,Number_slots_4,Timeout_4,Increment_4,ATON_type,ATON_name,off_position,"
    "ATON_status,Virtual_ATON,Channel_A,Channel_B,Tx_Rx_mode,Power,Message_indicator,Channel_A_bandwidth,"
    "Channel_B_bandwidth,Transzone_size,Longitude_1,Latitude_1,Longitude_2,Latitude_2,Station_Type,Report_Interval,"
    "Quiet_Time,Part_Number,Vendor_ID,Mother_ship_MMSI,Destination_indicator,Binary_flag,GNSS_status,spare,spare2,"
    "spare3,spare4"
).split(",")


def message(**values: object) -> list[str]:
    """One decoded message as the provider writes it: every column present, empty when not carried."""
    unknown = set(values) - set(HEADER)
    assert not unknown, unknown
    return ["" if values.get(h) is None else str(values[h]) for h in HEADER]


def write_provider_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_static_messages_build_identity_history_and_other_types_are_counted(ctx, tmp_path: Path) -> None:
    assert len(HEADER) == 139
    rows = [
        message(
            MMSI=445123000,
            Message_ID=1,
            Time="20190311_135900",
            Millisecond=0,
            Navigational_status=0,
            SOG=0.1,
            Longitude=123.95012,
            Latitude=36.55004,
            COG=211.3,
            Heading=35,
            Channel="A",
        ),
        message(
            MMSI=445123000,
            Message_ID=5,
            Time="20190311_140312",
            Millisecond=0,
            Vessel_Name="CHON MA SAN",
            Call_sign="HMXX",
            IMO=9123453,
            Ship_Type=80,
            Dimension_to_Bow=90,
            Dimension_to_stern=20,
            Dimension_to_port=8,
            Dimension_to_starboard=10,
            Draught=5.2,
            Destination="NAMPO",
            AIS_version=0,
            ETA_month=3,
            ETA_day=14,
            ETA_hour=6,
            ETA_minute=0,
        ),
        message(
            MMSI=352001234,
            Message_ID=18,
            Time="20190311_140500",
            Millisecond=0,
            SOG=0.0,
            Longitude=123.95101,
            Latitude=36.55021,
            COG=360,
            Heading=511,
        ),
        message(MMSI=352001234, Message_ID=24, Time="20190311_140530", Vessel_Name="NEW REGENT", Part_Number=0),
        message(
            MMSI=352001234,
            Message_ID=24,
            Time="20190311_140531",
            Call_sign="3FXX9",
            Ship_Type=80,
            Dimension_to_Bow=80,
            Dimension_to_stern=24,
            Dimension_to_port=7,
            Dimension_to_starboard=9,
            Part_Number=1,
            Vendor_ID="SRT",
        ),
        message(
            MMSI=412000001,
            Message_ID=19,
            Time="20190311_140600",
            SOG=9.8,
            Longitude=124.0,
            Latitude=36.6,
            COG=90.0,
            Heading=91,
            Vessel_Name="HAI XING 8",
            Ship_Type=70,
            Dimension_to_Bow=60,
            Dimension_to_stern=15,
            Dimension_to_port=6,
            Dimension_to_starboard=6,
        ),
        message(MMSI=4451000, Message_ID=4, Time="20190311_140000", Longitude=125.3, Latitude=38.7, UTC_year=2019),
        message(
            MMSI=993456789,
            Message_ID=21,
            Time="20190311_140000",
            Longitude=124.2,
            Latitude=37.1,
            ATON_type=1,
            ATON_name="NAMPO APPROACH",
        ),
    ]
    path = write_provider_csv(tmp_path / "spire_decoded_20190311.csv", rows)
    report = imports.import_ais(ctx, [path])
    assert report.read == 8
    assert report.imported == {"position": 3, "static": 3}
    assert report.skipped == {"non_position": 2}
    assert report.read == sum(report.imported.values()) + sum(report.skipped.values())
    with ctx.store.read() as s:
        positions = s.execute(
            select(AisPosition.mmsi, AisPosition.ts, AisPosition.lat, AisPosition.lon).order_by(AisPosition.ts)
        ).all()
        assert [(m, la, lo) for m, _ts, la, lo in positions] == [
            (445123000, 36.55004, 123.95012),
            (352001234, 36.55021, 123.95101),
            (412000001, 36.6, 124.0),
        ]
        # The static message links the MMSI to its IMO number: positions now reach a sanctioned hull.
        chon = s.scalar(select(Vessel).where(Vessel.imo == 9123453))
        assert chon is not None and chon.mmsi == 445123000 and chon.name == "CHON MA SAN"
        assert (chon.call_sign, chon.length_m, chon.beam_m, chon.vessel_type) == ("HMXX", 110.0, 18.0, "Tanker")
        (ident,) = s.scalars(select(VesselIdentity).where(VesselIdentity.vessel_id == chon.id)).all()
        assert ident.first_seen.strftime("%Y%m%d_%H%M%S") == "20190311_140312"
        regent = {
            (i.name, i.call_sign) for i in s.scalars(select(VesselIdentity).where(VesselIdentity.mmsi == 352001234))
        }
        assert regent == {("NEW REGENT", ""), ("", "3FXX9")}  # type 24 parts A and B, as NMEA gives them
        hai = s.scalar(select(Vessel).where(Vessel.mmsi == 412000001))
        assert hai.name == "HAI XING 8" and hai.length_m == 75.0
