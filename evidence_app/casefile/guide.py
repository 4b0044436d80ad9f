"""The two plain-text entries that let anyone check a case file without this program: README.txt and SHA256SUMS.

README.txt says in plain words what the file is, how to check it with ``sha256sum`` and
what each evidence file is (original name, kind, incidents). SHA256SUMS is in the format
``sha256sum`` writes and reads (``HASH  PATH`` per line), so ``sha256sum -c SHA256SUMS`` in
the extracted folder is the whole check. Both are listed in the manifest with their own
hashes, like every other entry.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

from evidence_app.casefile import manifest as mf
from evidence_app.casefile.record_dicts import CaseRecords
from evidence_app.domain.limits import printable

MAX_INCIDENTS_NAMED = 3  # per evidence file in the index; the rest are counted


def one_line(text: Any, limit: int = 120) -> str:
    """User text for one line of a plain-text file: control characters and line breaks escaped, length capped."""
    shown = printable("" if text is None else str(text)).replace("\t", "\\t").replace("\n", "\\n")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def sha256sums(files: Iterable[Mapping[str, Any]]) -> bytes:
    """``HASH  PATH`` lines, as ``sha256sum`` writes them (text mode, two spaces)."""
    return "".join(f"{f['sha256']}  {f['path']}\n" for f in files).encode("ascii")


def readme_text(
    records: CaseRecords,
    evidence_members: Iterable[tuple[str, dict[str, Any]]],
    *,
    exported_at: str,
    exported_by: str,
    export_id: str,
    scope: str,
    generator: str,
    entries: Iterable[str],
) -> str:
    case = records.case
    titles = {i["id"]: i.get("title") or "untitled" for i in records.of("incident")}
    incidents_of: dict[str, list[str]] = {}
    for link in records.of("link"):
        if link["incident_id"] in titles:
            incidents_of.setdefault(link["evidence_id"], []).append(titles[link["incident_id"]])
    members = list(evidence_members)
    present = set(entries)
    wrap = textwrap.TextWrapper(width=78)

    def para(text: str) -> list[str]:
        return wrap.wrap(text) + [""]

    lines = [
        "Evidence Review case file",
        "=========================",
        "",
        f"Case:             {one_line(case.get('title'))}",
        f"Handling caveat:  {one_line(case.get('caveat') or 'none set')}",
        f"Case id:          {case['id']}",
        f"Exported:         {exported_at} by {one_line(exported_by or 'unknown')} with {generator}",
        f"Export id:        {export_id}",
        f"Scope:            {'confirmed incidents only' if scope == 'confirmed' else 'all incidents'}",
        f"Holds:            {len(records.of('incident'))} incidents, {len(records.of('vessel'))} vessels,"
        f" {len(records.of('evidence'))} evidence items",
        "",
        "What this file is",
        "-----------------",
        "",
        *para(
            "A zip archive holding one investigation of suspected ship-to-ship transfers, exported from"
            " Evidence Review: the original evidence files exactly as they were imported (satellite images,"
            " AIS position files, documents), the case's records (incidents, vessels, reviews), the audit"
            " trail of every change, a report and map exports. Treat it according to the handling caveat above."
        ),
        *para(
            "To read the case, open report/report.pdf or report/report.html. geo/case.kml opens in Google"
            " Earth (its AIS tracks play with the time slider) and geo/case.geojson in any GIS. Evidence"
            " Review itself imports the whole file with: evidence-app import case FILE.evcase"
        ),
        "How to check it without Evidence Review",
        "---------------------------------------",
        "",
        *para(
            "Every file in the archive is listed with its SHA-256 in SHA256SUMS (the format the sha256sum"
            " tool reads) and in manifest.json. Extract the archive, go into the extracted folder, and run:"
        ),
        "    sha256sum -c SHA256SUMS",
        "",
        *para(
            "Every line must end in OK; a file that was altered or damaged is reported as FAILED. On macOS use"
            " 'shasum -a 256 -c SHA256SUMS'; in Windows PowerShell, 'Get-FileHash -Algorithm SHA256 FILE' prints"
            " a file's hash to compare with its line. SHA256SUMS lists every file but itself and manifest.json;"
            " manifest.json in turn lists SHA256SUMS with its hash, so the manifest covers everything."
            " Evidence files are also named by their SHA-256: a file's name is the hash its content must have."
        ),
        "What is inside",
        "--------------",
        "",
    ]
    roles = [
        (mf.MANIFEST, "every file's size and SHA-256, the case, who exported it and when"),
        ("SHA256SUMS", "the same hashes in sha256sum format"),
        (mf.RECORDS, "the case's records as JSON"),
        (mf.SYNC, "content hashes of the records, for merging with other copies"),
        (mf.AIS, "AIS positions from the case's AIS files, one JSON object per line"),
        (mf.AUDIT, "the audit entries about the case, each chained to the one before by its hash"),
        ("report/report.pdf", "the case report (PDF)"),
        ("report/report.html", "the case report (one self-contained web page)"),
        ("geo/case.kml", "incidents, AIS tracks and image footprints for Google Earth"),
        ("geo/case.geojson", "the same as GeoJSON (RFC 7946)"),
        (mf.EVIDENCE_DIR, "the original evidence files, named by SHA-256"),
        (mf.DERIVED_DIR, "files made from evidence (annotated copies, detection reports), named by SHA-256"),
    ]
    for path, what in roles:
        folder = path.endswith("/")
        if (
            path in present
            or path == mf.MANIFEST
            or path == "SHA256SUMS"
            or (folder and any(p.startswith(path) for p in present))
        ):
            lines.append(f"  {path:<30} {what}")
    lines += ["", "Evidence files", "--------------", ""]
    if not members:
        lines.append("  (none)")
    for member, item in members:
        named = incidents_of.get(item["id"], [])
        shown = ", ".join(one_line(t, 60) for t in named[:MAX_INCIDENTS_NAMED])
        if len(named) > MAX_INCIDENTS_NAMED:
            shown += f" and {len(named) - MAX_INCIDENTS_NAMED} more"
        lines.append(
            f'  {member}  {item["kind"]}  "{one_line(item["original_name"], 100)}"'
            f"  incidents: {shown or 'none (cited by vessel records or derived items)'}"
        )
    lines.append("")
    return "\n".join(lines)
