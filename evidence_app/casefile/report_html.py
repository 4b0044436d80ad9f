"""The case report as one self-contained HTML page: inline CSS, images as data: URIs, no scripts, no network.

Every string from the records is escaped, control characters included (shown as ``\\xNN``):
a case file from the field is untrusted input.
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from evidence_app.casefile.geo_export import finite
from evidence_app.casefile.report_data import (
    ReportData,
    annotation_text,
    fmt_time,
    grading,
    grading_phrase,
    metres,
    status_colour,
)
from evidence_app.domain.limits import xml_text

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:10.5pt;color:#1e2832;margin:0;background:#f4f6f8}
.caveat{background:#8b0000;color:#fff;text-align:center;font-weight:bold;letter-spacing:.08em;padding:4px;position:sticky;top:0}
main{max-width:1000px;margin:0 auto;background:#fff;padding:24px 36px}
h1{font-size:20pt;margin:.2em 0}h2{font-size:14pt;border-bottom:2px solid #1e2832;padding-bottom:3px;margin-top:2em}
h3{font-size:11.5pt;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{border:1px solid #c8d0d8;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#e8edf2}
td.k{width:26%;background:#f6f8fa;font-weight:bold}
.hash{font-family:"DejaVu Sans Mono",monospace;font-size:8pt;word-break:break-all}
.status{display:inline-block;color:#fff;border-radius:3px;padding:1px 8px;font-weight:bold}
figure{margin:.6em 0 1.2em}figure img{max-width:100%;border:1px solid #9aa5b1}
figcaption{font-size:9pt;color:#4a5560}
.meta{color:#4a5560;font-size:9pt}
@media print{.caveat{position:fixed;width:100%}main{padding-top:40px}}
"""


def _e(value: Any) -> str:
    return escape(xml_text("" if value is None else str(value)))


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _status(status: str) -> str:
    return f'<span class="status" style="background:{status_colour(status)}">{_e(status.replace("_", " "))}</span>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """Rows are already-escaped HTML cells."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(rows: list[tuple[str, Any]]) -> str:
    return "<table>" + "".join(f'<tr><td class="k">{_e(k)}</td><td>{v}</td></tr>' for k, v in rows) + "</table>"


def _position(inc: dict[str, Any]) -> str:
    lat, lon = finite(inc.get("lat"), 90.0), finite(inc.get("lon"), 540.0)
    return "–" if lat is None or lon is None else f"{lat:.4f}, {lon:.4f}"


def render_html(data: ReportData) -> str:
    case = data.case
    caveat = f'<div class="caveat">{_e(data.caveat)}</div>'
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(case['title'])}: case report</title><style>{CSS}</style></head><body>",
        caveat,
        "<main>",
        f"<h1>{_e(case['title'])}</h1>",
        f'<p class="meta">Case report generated {_e(data.generated_at)} by {_e(data.generator)}; case id {_e(case["id"])}'
        f"{'; export ' + _e(data.export_id) if data.export_id else ''}</p>",
        "<h2>Summary</h2>",
        f"<p>{_e(case.get('summary') or 'No summary.')}</p>",
        _kv(
            [
                ("Incidents", _e(f"{data.incident_count:,}")),
                (
                    "By status",
                    ", ".join(f"{_status(s)} {n:,}" for s, n in sorted(data.status_counts.items())) or "none",
                ),
                (
                    "In detail below",
                    _e(f"{len(data.sections):,} reviewed (status past suspected, or with review events)"),
                ),
                (
                    "Summarised",
                    _e(f"{len(data.summary):,} not reviewed yet, one row each in the table after the details"),
                ),
                ("Vessels", _e(f"{len(data.vessels) + len(data.other_vessels):,}")),
                ("Evidence items", _e(f"{len(data.evidence):,}")),
                ("Four-eyes review", "required" if case.get("four_eyes") else "not required"),
            ]
        ),
    ]
    if data.overview_png:
        out.append(
            f"<figure>{_img(data.overview_png, 'overview map of every incident')}<figcaption>Overview: every placed"
            " incident of the case, coloured by status.</figcaption></figure>"
        )
    for sec in data.sections:
        inc = sec.incident
        out.append(f"<h2>Incident {sec.number}: {_e(inc.get('title') or 'untitled')}</h2>")
        out.append(
            _kv(
                [
                    ("Status", _status(inc["status"])),
                    ("Time (UTC)", _e(f"{fmt_time(inc['start_utc'])} – {fmt_time(inc.get('end_utc'), 'open')}")),
                    ("Time as reported", _e(inc.get("local_time_text") or "–")),
                    *[(k, _e(v)) for k, v in sec.position],
                    ("Reported location", _e(inc.get("reported_location") or "–")),
                    (
                        "Cargo",
                        _e(
                            " ".join(
                                str(x)
                                for x in (inc.get("cargo_kind"), inc.get("cargo_quantity"), inc.get("cargo_unit"))
                                if x
                            )
                            or "–"
                        ),
                    ),
                    ("Indicators", _e(", ".join(inc.get("indicators") or []) or "–")),
                    ("Assessment", _e(inc.get("assessment") or "–")),
                    ("Tags", _e(", ".join(inc.get("tags") or []) or "–")),
                ]
            )
        )
        if sec.map_png:
            out.append(
                f"<figure>{_img(sec.map_png, 'map of the incident')}<figcaption>{_e(sec.map_caption)}</figcaption></figure>"
            )
        out.append("<h3>Vessels</h3>")
        out.append(
            _table(
                ["Role", "Name", "IMO", "MMSI", "Flag", "Claimed identity"],
                [
                    [
                        _e(p["role"]),
                        _e(p["vessel"].get("name")),
                        _e(p["vessel"].get("imo") or "–"),
                        _e(p["vessel"].get("mmsi") or "–"),
                        _e(p["vessel"].get("flag") or "–"),
                        _e(
                            " ".join(
                                str(x)
                                for x in (p.get("claimed_name"), p.get("claimed_flag"), p.get("claimed_mmsi"))
                                if x
                            )
                            or "–"
                        ),
                    ]
                    for p in sec.participants
                ],
            )
            if sec.participants
            else "<p>No vessels recorded.</p>"
        )
        out.append("<h3>Evidence</h3>")
        out.append(
            _table(
                ["Item", "Kind", "Relation", "Grading", "Captured", "SHA-256"],
                [
                    [
                        _e(link["item"]["original_name"]),
                        _e(link["item"]["kind"]),
                        _e(link["relation"]),
                        _e(grading(link["item"])),
                        _e(fmt_time(link["item"].get("capture_time"))),
                        f'<span class="hash">{_e(link["item"]["sha256"])}</span>',
                    ]
                    for link in sec.evidence
                ],
            )
            if sec.evidence
            else "<p>No evidence attached.</p>"
        )
        for photo in sec.photos:
            caption = (
                f"{_e(photo.evidence['original_name'])}, captured {_e(fmt_time(photo.evidence.get('capture_time'), 'unknown'))},"
                f" {_e(grading_phrase(photo.evidence))}."
            )
            notes = "".join(f"<li>{_e(annotation_text(a))}</li>" for a in photo.annotations)
            body = _img(photo.png, photo.evidence["original_name"]) if photo.png else f"<p>{_e(photo.note)}</p>"
            listed = f'<ol class="meta">{notes}</ol>' if notes else ""
            out.append(f"<figure>{body}<figcaption>{caption}{listed}</figcaption></figure>")
        out.append("<h3>Review history</h3>")
        out.append(
            _table(
                ["Time (UTC)", "Reviewer", "Change", "Rationale"],
                [
                    [
                        _e(fmt_time(r["created_at"])),
                        _e(r["reviewer"]),
                        _e(
                            f"{r['from_status']} → {r['to_status']}"
                            + (" (proposal)" if r.get("kind") == "proposal" else "")
                        ),
                        _e(r.get("rationale")),
                    ]
                    for r in sec.reviews
                ],
            )
            if sec.reviews
            else "<p>Not reviewed yet.</p>"
        )
        if sec.detection:
            out.append("<h3>Detection parameters</h3>")
            out.append(_kv([(k, _e(v)) for k, v in sec.detection]))
    if data.summary:
        out.append(f"<h2>Incidents not reviewed yet ({len(data.summary):,})</h2>")
        figures = any(row.figures for row in data.summary)
        out.append(
            _table(
                ["#", "Start (UTC)", "Status", "Title", "Position", "From shore", "Vessels", "Evidence"]
                + (["Figures"] if figures else []),
                [
                    [
                        _e(row.number),
                        _e(fmt_time(row.incident.get("start_utc"))),
                        _e(str(row.incident["status"]).replace("_", " ")),
                        _e(row.incident.get("title") or "untitled"),
                        _e(_position(row.incident)),
                        _e(metres(row.shore_m) if row.shore_m is not None else "–"),
                        _e(row.vessels or "–"),
                        _e(row.evidence),
                    ]
                    + ([_e(row.figures or "–")] if figures else [])
                    for row in data.summary
                ],
            )
        )
    out.append("<h2>Vessels and identity history</h2>")
    for v in data.vessels:
        out.append(f"<h3>{_e(v.get('name') or 'Unnamed vessel')}</h3>")
        out.append(
            _kv(
                [
                    ("IMO / MMSI", _e(f"{v.get('imo') or '–'} / {v.get('mmsi') or '–'}")),
                    ("Flag / type", _e(f"{v.get('flag') or '–'} / {v.get('vessel_type') or '–'}")),
                    ("Length / beam", _e(f"{v.get('length_m') or '–'} m / {v.get('beam_m') or '–'} m")),
                    ("Designations", _e(_designations(v) or "none")),
                    ("Notes", _e(v.get("notes") or "–")),
                ]
            )
        )
        if v["identities"]:
            out.append(
                _table(
                    ["From", "To", "Name", "Flag", "MMSI", "Source"],
                    [
                        [
                            _e(i.get("first_seen") or "?"),
                            _e(i.get("last_seen") or "?"),
                            _e(i.get("name")),
                            _e(i.get("flag")),
                            _e(i.get("mmsi") or "–"),
                            _e(i.get("source")),
                        ]
                        for i in v["identities"]
                    ],
                )
            )
    if data.other_vessels:
        out.append(f"<h3>Vessels only in incidents not reviewed yet ({len(data.other_vessels):,})</h3>")
        out.append(
            _table(
                ["Name", "IMO", "MMSI", "Flag", "Type", "Designations", "Identities"],
                [
                    [
                        _e(v.get("name") or "–"),
                        _e(v.get("imo") or "–"),
                        _e(v.get("mmsi") or "–"),
                        _e(v.get("flag") or "–"),
                        _e(v.get("vessel_type") or "–"),
                        _e(_designations(v) or "none"),
                        _e(len(v["identities"])),
                    ]
                    for v in data.other_vessels
                ],
            )
        )
    out.append("<h2>Evidence register</h2>")
    out.append(
        _table(
            ["Item", "Kind", "Size (bytes)", "Source", "Grading", "SHA-256"],
            [
                [
                    _e(e["original_name"]),
                    _e(e["kind"]),
                    _e(e["size"]),
                    _e(e.get("source") or e.get("provider") or "–"),
                    _e(grading(e)),
                    f'<span class="hash">{_e(e["sha256"])}</span>',
                ]
                for e in data.evidence
            ],
        )
    )
    out.append(
        "<p class=\"meta\">Each file's SHA-256 is listed in the case file's manifest.json and SHA256SUMS; the receiver"
        " can recompute it to confirm the file is unaltered. Gradings: source reliability A–F, information credibility 1–6.</p>"
    )
    out.append("</main>")
    out.append(caveat)
    out.append("</body></html>")
    return "".join(out)


def _designations(v: dict[str, Any]) -> str:
    return "; ".join(
        f"{d.get('authority', '')} {d.get('program', '')} {d.get('reference', '')}".strip() for d in v["designations"]
    )
