"""The case report as a PDF (reportlab), with the handling caveat in the header and footer of every page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str, str]:
    """DejaVu (covers Hangul-less but wide Latin/Cyrillic) when installed, else the PDF core fonts."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold, mono = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf", DEJAVU / "DejaVuSansMono.ttf"
    if regular.is_file() and bold.is_file() and mono.is_file():
        if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVu", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(bold)))
            pdfmetrics.registerFont(TTFont("DejaVuMono", str(mono)))
        return "DejaVu", "DejaVu-Bold", "DejaVuMono"
    return "Helvetica", "Helvetica-Bold", "Courier"


def _plain_rows_class() -> type:
    """A table of plain one-line rows that draws each page of rows as one text object.

    reportlab's Table lays out and draws cell by cell (about a third of a millisecond
    each); a summary of 10,000 incidents has 80,000 cells. Rows here are already cut to
    their columns, so drawing is text placement only, and the table splits at any row.
    """
    from reportlab.lib import colors
    from reportlab.platypus import Flowable

    class PlainRows(Flowable):  # type: ignore[misc]
        ROW = 10.0  # points per row: 7-point text with its padding

        def __init__(
            self,
            headers: list[str],
            rows: list[list[str]],
            widths: list[float],
            fonts: list[tuple[str, float]],
            header_font: str,
        ) -> None:
            super().__init__()
            self.headers, self.rows, self.widths, self.fonts, self.header_font = (
                headers,
                rows,
                widths,
                fonts,
                header_font,
            )

        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            self.width = sum(self.widths)
            self.height = (len(self.rows) + 1) * self.ROW
            return self.width, self.height

        def split(self, available_width: float, available_height: float) -> list[Any]:
            fit = int(available_height // self.ROW) - 1  # the header row repeats on every page
            if fit < 1:
                return []
            if fit >= len(self.rows):
                return [self]
            return [
                PlainRows(self.headers, self.rows[:fit], self.widths, self.fonts, self.header_font),
                PlainRows(self.headers, self.rows[fit:], self.widths, self.fonts, self.header_font),
            ]

        def draw(self) -> None:
            c = self.canv
            height = (len(self.rows) + 1) * self.ROW
            c.saveState()
            c.setFillColor(colors.HexColor("#e8edf2"))
            c.rect(0, height - self.ROW, self.width, self.ROW, stroke=0, fill=1)
            c.setStrokeColor(colors.HexColor("#c8d0d8"))
            c.setLineWidth(0.3)
            for i in range(len(self.rows) + 2):
                c.line(0, height - i * self.ROW, self.width, height - i * self.ROW)
            x = 0.0
            for w in [*self.widths, 0.0]:
                c.line(x, 0, x, height)
                x += w
            text = c.beginText()
            text.setFillColor(colors.HexColor("#1e2832"))
            for r, row in enumerate([self.headers, *self.rows]):
                y = height - (r + 1) * self.ROW + 3
                x = 0.0
                for i, cell in enumerate(row):
                    font, size = (self.header_font, 7) if r == 0 else self.fonts[i]
                    text.setFont(font, size)
                    text.setTextOrigin(x + 2, y)
                    text.textOut(cell)
                    x += self.widths[i]
            c.drawText(text)
            c.restoreState()

    return PlainRows


def _t(value: Any) -> str:
    """Text for a reportlab paragraph: control characters shown as escapes, markup characters escaped."""
    return escape(xml_text("" if value is None else str(value)))


def render_pdf(data: ReportData) -> bytes:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    # Images as binary streams: ASCII85 text costs seconds for a hundred maps and a quarter more bytes.
    rl_config.useA85 = 0
    regular, bold, mono = _fonts()
    PlainRows = _plain_rows_class()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#4a5560"))
    hashes = ParagraphStyle("hash", parent=base, fontName=mono, fontSize=6.5, leading=8)
    cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=18, leading=22, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2",
        parent=base,
        fontName=bold,
        fontSize=13,
        leading=16,
        spaceBefore=8,
        spaceAfter=5,
        textColor=colors.HexColor("#1e2832"),
    )
    h3 = ParagraphStyle("h3", parent=base, fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3)
    page_w, page_h = A4
    margin = 16 * mm
    usable = page_w - 2 * margin
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8d0d8")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf2")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    kv_style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8d0d8")),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3f5f7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )

    def table(headers: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
        body = [[Paragraph(_t(h), head) for h in headers]]
        for row in rows:
            body.append([c if not isinstance(c, str) else Paragraph(_t(c), cell) for c in row])
        t = Table(body, colWidths=[w * usable for w in widths], repeatRows=1)
        t.setStyle(grid)
        return t

    def kv(rows: list[tuple[str, Any]]) -> Table:
        body = [[Paragraph(_t(k), head), v if not isinstance(v, str) else Paragraph(_t(v), cell)] for k, v in rows]
        t = Table(body, colWidths=[0.25 * usable, 0.75 * usable])
        t.setStyle(kv_style)
        return t

    def status(s: str) -> Paragraph:
        return Paragraph(f'<font color="{status_colour(s)}"><b>{_t(s.replace("_", " ").upper())}</b></font>', cell)

    def image(png: bytes, max_w: float, max_h: float) -> Image:
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(png)) as im:
            w, h = im.size
        k = min(max_w / w, max_h / h)
        return Image(io.BytesIO(png), width=w * k, height=h * k)

    def fit(text: Any, width: float, font: str = regular, size: float = 7) -> str:
        """One line of plain text cut to ``width`` points: long tables use plain strings, which are far
        quicker to lay out than paragraphs (a 10,000-row table stays seconds, not minutes)."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        shown = xml_text("" if text is None else str(text)).replace("\n", " ").replace("\t", " ")
        if stringWidth(shown, font, size) <= width:
            return shown
        low, high = 0, len(shown)
        while low < high:  # the longest prefix that fits with its ellipsis
            mid = (low + high + 1) // 2
            if stringWidth(shown[:mid] + "…", font, size) <= width:
                low = mid
            else:
                high = mid - 1
        return shown[:low] + "…"

    def long_table(
        headers: list[str], rows: list[list[Any]], widths: list[float], mono_column: int | None = None
    ) -> list[Any]:
        """Many rows of plain one-line cells (each cut to its column), drawn straight on the canvas."""
        cols = [w * usable for w in widths]
        fitted = [
            [
                fit(c, cols[i] - 4, mono if i == mono_column else regular, 5.6 if i == mono_column else 7)
                for i, c in enumerate(row)
            ]
            for row in rows
        ]
        fonts = [(mono, 5.6) if i == mono_column else (regular, 7) for i in range(len(cols))]
        return [PlainRows([fit(h, cols[i] - 4, bold, 7) for i, h in enumerate(headers)], fitted, cols, fonts, bold)]

    story: list[Any] = []
    case = data.case
    story.append(Paragraph(_t(case["title"]), h1))
    story.append(
        Paragraph(
            f"Case report generated {_t(data.generated_at)} by {_t(data.generator)}. Case id {_t(case['id'])}"
            + (f"; export {_t(data.export_id)}" if data.export_id else "")
            + ".",
            small,
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("Summary", h2))
    story.append(Paragraph(_t(case.get("summary") or "No summary."), base))
    story.append(Spacer(1, 3 * mm))
    story.append(
        kv(
            [
                ("Incidents", f"{data.incident_count:,}"),
                (
                    "By status",
                    ", ".join(f"{s.replace('_', ' ')}: {n:,}" for s, n in sorted(data.status_counts.items())) or "none",
                ),
                (
                    "In detail",
                    f"{len(data.sections):,} reviewed incidents (status past suspected, or with review events), a page each",
                ),
                ("Summarised", f"{len(data.summary):,} incidents not reviewed yet, one row each after the details"),
                ("Vessels", f"{len(data.vessels) + len(data.other_vessels):,}"),
                ("Evidence items", f"{len(data.evidence):,}"),
                ("Four-eyes review", "required" if case.get("four_eyes") else "not required"),
            ]
        )
    )
    if data.overview_png:
        story.append(Spacer(1, 3 * mm))
        story.append(
            KeepTogether(
                [
                    image(data.overview_png, usable, 100 * mm),
                    Paragraph("Overview: every placed incident of the case, coloured by status.", small),
                ]
            )
        )
    if data.sections:
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph("Reviewed incidents", h3))
        story += long_table(
            ["#", "Incident", "Start (UTC)", "Status", "Evidence"],
            [
                [
                    str(s.number),
                    s.incident.get("title") or "untitled",
                    fmt_time(s.incident["start_utc"]),
                    str(s.incident["status"]).replace("_", " "),
                    str(len(s.evidence)),
                ]
                for s in data.sections
            ],
            [0.07, 0.45, 0.22, 0.14, 0.12],
        )

    for sec in data.sections:
        inc = sec.incident
        story.append(PageBreak())
        story.append(Paragraph(f"Incident {sec.number}: {_t(inc.get('title') or 'untitled')}", h2))
        story.append(
            kv(
                [
                    ("Status", status(inc["status"])),
                    ("Time (UTC)", f"{fmt_time(inc['start_utc'])} – {fmt_time(inc.get('end_utc'), 'open')}"),
                    *sec.position,
                    ("Reported location", inc.get("reported_location") or "–"),
                    (
                        "Cargo",
                        " ".join(
                            str(x)
                            for x in (inc.get("cargo_kind"), inc.get("cargo_quantity"), inc.get("cargo_unit"))
                            if x
                        )
                        or "–",
                    ),
                    ("Indicators", ", ".join(inc.get("indicators") or []) or "–"),
                    ("Assessment", inc.get("assessment") or "–"),
                ]
            )
        )
        if sec.map_png:
            story.append(Spacer(1, 3 * mm))
            story.append(KeepTogether([image(sec.map_png, usable, 105 * mm), Paragraph(_t(sec.map_caption), small)]))
        story.append(Paragraph("Vessels", h3))
        story.append(
            table(
                ["Role", "Name", "IMO", "MMSI", "Flag", "Claimed identity"],
                [
                    [
                        p["role"],
                        p["vessel"].get("name") or "",
                        str(p["vessel"].get("imo") or "–"),
                        str(p["vessel"].get("mmsi") or "–"),
                        p["vessel"].get("flag") or "–",
                        " ".join(
                            str(x) for x in (p.get("claimed_name"), p.get("claimed_flag"), p.get("claimed_mmsi")) if x
                        )
                        or "–",
                    ]
                    for p in sec.participants
                ],
                [0.11, 0.22, 0.12, 0.14, 0.14, 0.27],
            )
            if sec.participants
            else Paragraph("No vessels recorded.", base)
        )
        story.append(Paragraph("Evidence", h3))
        story.append(
            table(
                ["Item", "Kind", "Relation", "Grading", "SHA-256"],
                [
                    [
                        link["item"]["original_name"],
                        link["item"]["kind"],
                        link["relation"],
                        grading(link["item"]),
                        Paragraph(_t(link["item"]["sha256"]), hashes),
                    ]
                    for link in sec.evidence
                ],
                [0.26, 0.1, 0.12, 0.09, 0.43],
            )
            if sec.evidence
            else Paragraph("No evidence attached.", base)
        )
        for photo in sec.photos:
            caption = f"{_t(photo.evidence['original_name'])}, captured {_t(fmt_time(photo.evidence.get('capture_time'), 'unknown'))}, {_t(grading_phrase(photo.evidence))}."
            notes = " ".join(f"[{i}] {_t(annotation_text(a))}" for i, a in enumerate(photo.annotations, start=1))
            parts: list[Any] = [CondPageBreak(60 * mm), Spacer(1, 2 * mm)]
            parts.append(image(photo.png, usable * 0.8, 95 * mm) if photo.png else Paragraph(_t(photo.note), base))
            parts.append(Paragraph(caption + (" Annotations: " + notes if notes else ""), small))
            story.append(KeepTogether(parts))
        story.append(Paragraph("Review history", h3))
        story.append(
            table(
                ["Time (UTC)", "Reviewer", "Change", "Rationale"],
                [
                    [
                        fmt_time(r["created_at"]),
                        r["reviewer"],
                        f"{r['from_status']} → {r['to_status']}"
                        + (" (proposal)" if r.get("kind") == "proposal" else ""),
                        r.get("rationale") or "",
                    ]
                    for r in sec.reviews
                ],
                [0.22, 0.16, 0.24, 0.38],
            )
            if sec.reviews
            else Paragraph("Not reviewed yet.", base)
        )
        if sec.detection:
            story.append(Paragraph("Detection parameters", h3))
            story.append(kv(sec.detection))

    if data.summary:
        story.append(PageBreak())
        story.append(Paragraph(f"Incidents not reviewed yet ({len(data.summary):,})", h2))
        story.append(
            Paragraph(
                "Suspected incidents nobody has reviewed: one row each. Numbers are the incidents' places in"
                " the case, by start time; positions are latitude, longitude.",
                small,
            )
        )
        story.append(Spacer(1, 2 * mm))
        story += long_table(
            ["#", "Start (UTC)", "Status", "Title", "Position", "Shore", "Vessels", "Ev."],
            [
                [
                    str(row.number),
                    fmt_time(row.incident.get("start_utc")).removesuffix(" UTC"),
                    str(row.incident["status"]).replace("_", " "),
                    row.incident.get("title") or "untitled",
                    _position(row.incident),
                    metres(row.shore_m) if row.shore_m is not None else "–",
                    row.vessels or "–",
                    str(row.evidence),
                ]
                for row in data.summary
            ],
            [0.055, 0.135, 0.085, 0.265, 0.16, 0.065, 0.2, 0.04],
        )

    story.append(PageBreak())
    story.append(Paragraph("Vessels and identity history", h2))
    for v in data.vessels:
        block: list[Any] = [
            Paragraph(_t(v.get("name") or "Unnamed vessel"), h3),
            kv(
                [
                    ("IMO / MMSI", f"{v.get('imo') or '–'} / {v.get('mmsi') or '–'}"),
                    ("Flag / type", f"{v.get('flag') or '–'} / {v.get('vessel_type') or '–'}"),
                    ("Length / beam", f"{v.get('length_m') or '–'} m / {v.get('beam_m') or '–'} m"),
                    ("Designations", _designations(v) or "none"),
                    ("Notes", v.get("notes") or "–"),
                ]
            ),
        ]
        if v["identities"]:
            block.append(Spacer(1, 2 * mm))
            block.append(
                table(
                    ["From", "To", "Name", "Flag", "MMSI", "Source"],
                    [
                        [
                            (i.get("first_seen") or "?")[:10],
                            (i.get("last_seen") or "?")[:10],
                            i.get("name") or "",
                            i.get("flag") or "",
                            str(i.get("mmsi") or "–"),
                            i.get("source") or "",
                        ]
                        for i in v["identities"]
                    ],
                    [0.13, 0.13, 0.22, 0.16, 0.14, 0.22],
                )
            )
        story.append(KeepTogether(block))
    if data.other_vessels:
        story.append(Paragraph(f"Vessels only in incidents not reviewed yet ({len(data.other_vessels):,})", h3))
        story += long_table(
            ["Name", "IMO", "MMSI", "Flag", "Type", "Designations", "Identities"],
            [
                [
                    v.get("name") or "–",
                    str(v.get("imo") or "–"),
                    str(v.get("mmsi") or "–"),
                    v.get("flag") or "–",
                    v.get("vessel_type") or "–",
                    _designations(v) or "none",
                    str(len(v["identities"])),
                ]
                for v in data.other_vessels
            ],
            [0.22, 0.1, 0.12, 0.14, 0.14, 0.2, 0.08],
        )
    story.append(Paragraph("Evidence register", h2))
    story += long_table(
        ["Item", "Kind", "Size (bytes)", "Grading", "SHA-256"],
        [[e["original_name"], e["kind"], f"{e['size']:,}", grading(e), e["sha256"]] for e in data.evidence],
        [0.25, 0.1, 0.12, 0.07, 0.46],
        mono_column=4,
    )
    story.append(Spacer(1, 2 * mm))
    story.append(
        Paragraph(
            "Each file's SHA-256 is also in the case file's manifest.json and SHA256SUMS: recompute it to"
            " confirm the file is unaltered. Gradings: source reliability A–F, information credibility 1–6.",
            small,
        )
    )

    caveat = xml_text(data.caveat)
    title = xml_text(case["title"])

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#8b0000"))
        canvas.rect(0, page_h - 9 * mm, page_w, 9 * mm, fill=1, stroke=0)
        canvas.rect(0, 0, page_w, 9 * mm, fill=1, stroke=0)
        canvas.setFillColor(colors.white)
        canvas.setFont(bold, 9)
        canvas.drawCentredString(page_w / 2, page_h - 6 * mm, caveat)
        canvas.drawCentredString(page_w / 2, 3.3 * mm, caveat)
        canvas.setFillColor(colors.HexColor("#4a5560"))
        canvas.setFont(regular, 7.5)
        canvas.drawString(margin, page_h - 14 * mm, title[:90])
        canvas.drawRightString(page_w - margin, page_h - 14 * mm, f"Generated {data.generated_at}")
        canvas.drawString(margin, 11.5 * mm, data.generator)
        canvas.drawRightString(page_w - margin, 11.5 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=f"{title}: case report",
        author=data.generator,
        subject=caveat,
        creator=data.generator,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()


def _position(inc: dict[str, Any]) -> str:
    lat, lon = finite(inc.get("lat"), 90.0), finite(inc.get("lon"), 540.0)
    return "–" if lat is None or lon is None else f"{lat:.4f}, {lon:.4f}"


def _designations(v: dict[str, Any]) -> str:
    return "; ".join(
        f"{d.get('authority', '')} {d.get('program', '')} {d.get('reference', '')}".strip() for d in v["designations"]
    )
