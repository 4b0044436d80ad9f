"""One entry point for AIS files of any supported format (and .gz / .zip around them)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from evidence_app.domain.errors import UserError
from evidence_app.ingest.ais_csv import read_ais_csv
from evidence_app.ingest.ais_nmea import read_ais_nmea
from evidence_app.ingest.records import IdentityAccumulator, PositionRow, Tally
from evidence_app.ingest.sources import head, members, open_binary, sniff_ais_format

AIS_FORMATS = ("auto", "marinecadastre", "nmea", "csv")


def read_ais_file(
    path: str | Path,
    tally: Tally,
    identities: IdentityAccumulator,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    base_time: int | None = None,
    day_first: bool = True,
    chunk_size: int = 50_000,
    display: str | None = None,
) -> Iterator[list[PositionRow]]:
    """Yield chunks of position tuples from every logical file in ``path``.

    ``base_time`` (UTC epoch seconds) dates NMEA messages that carry no time of their own.
    File-level problems raise UserError; row-level ones are counted in ``tally``.
    ``display`` is the original name when ``path`` is the stored copy of the file.
    """
    if fmt not in AIS_FORMATS:
        raise UserError(f"unknown AIS format {fmt!r}; expected one of {', '.join(AIS_FORMATS)}")
    for member in members(path, display):
        member_fmt = sniff_ais_format(head(member), member.name) if fmt == "auto" else fmt
        if member_fmt == "nmea":
            with open_binary(member) as raw:
                yield from read_ais_nmea(raw, member.name, tally, identities, base_time, chunk_size)
        else:
            # MarineCadastre is a CSV whose headers the generic reader recognises. Bytes, not
            # text: the reader decodes only the few fields that are text.
            with open_binary(member) as raw:
                yield from read_ais_csv(raw, member.name, tally, identities, mapping, day_first, chunk_size)
