"""`evidence-app export report`: the PDF or HTML report alone, format from the extension."""

import json

from evidence_app.cli import main


def test_export_report_pdf_and_html(tmp_path, capsys, monkeypatch, ctx, sample_case):
    case, _ = sample_case
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    db = str(ctx.store.location.sqlite_path)
    assert main(["--db", db, "--json", "export", "report", case.id[:8], str(tmp_path / "r.pdf")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "pdf" and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert main(["--db", db, "export", "report", case.id, str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "Yellow Sea 2019" in html and "OFFICIAL" in html
    assert main(["--db", db, "export", "report", case.id, str(tmp_path / "r.txt")]) == 1
    err = capsys.readouterr().err
    assert "name it .pdf or .html" in err and not (tmp_path / "r.txt").exists()
