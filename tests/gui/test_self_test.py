"""``evidence-app --self-test`` from the development install: it passes, and a broken step makes it fail."""

from __future__ import annotations

import io

import pytest

from evidence_app.services import casefiles
from evidence_app.ui.selftest import run_self_test

pytestmark = pytest.mark.gui


def test_self_test_passes_and_names_a_broken_step(qapp, monkeypatch, tmp_path):
    monkeypatch.setenv("EVIDENCE_APP_CONFIG", str(tmp_path / "config"))
    out = io.StringIO()
    shot = tmp_path / "desk.png"
    assert run_self_test(out, screenshot=shot) == 0, out.getvalue()
    for step in ("store", "window", "map", "offline", "case file", "report"):
        assert f"ok   {step}:" in out.getvalue()
    assert shot.stat().st_size > 20_000

    # The twin: a report step that writes something other than a PDF must be named.
    def not_a_pdf(ctx, case_id, path, **_kw):
        path.write_bytes(b"<html>")
        return {}

    monkeypatch.setattr(casefiles, "export_report", not_a_pdf)
    out = io.StringIO()
    assert run_self_test(out) == 1
    assert "FAIL report: the report does not start like a PDF" in out.getvalue()
    assert "self-test FAILED: report" in out.getvalue()
