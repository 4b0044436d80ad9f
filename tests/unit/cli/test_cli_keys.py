"""Keys and signatures from the command line: show, export and trust a key; who signed an import; unverified entries."""

from __future__ import annotations

import json
import stat

from evidence_app.casefile.export import export_case as write_case_file
from evidence_app.cli import main
from evidence_app.storage import signing


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_keys_show_creates_the_key_owner_only_and_export_writes_the_public_half(tmp_path, capsys, isolated_config):
    db = str(tmp_path / "s.sqlite")
    code, out, err = run(capsys, "--db", db, "--reviewer", "Kim Analyst", "--json", "keys", "show")
    assert code == 0, err
    shown = json.loads(out)
    key = signing.load_key("Kim Analyst")
    assert shown["own"]["fingerprint"] == key.fingerprint and shown["own"]["created"] is True
    assert key.path.is_relative_to(isolated_config) and stat.S_IMODE(key.path.stat().st_mode) == 0o600
    pem = tmp_path / "kim.pem"
    code, out, err = run(capsys, "--db", db, "--reviewer", "Kim Analyst", "keys", "export", str(pem))
    assert code == 0 and key.fingerprint in out
    text = pem.read_text()
    assert text.startswith("# Evidence Review signing key of Kim Analyst") and "PRIVATE" not in text
    assert signing.public_key_from_pem(text.encode(), location="kim.pem") == key.public_raw
    code, out, _ = run(capsys, "--db", db, "--reviewer", "Kim Analyst", "keys", "export")
    assert code == 0 and "-----BEGIN PUBLIC KEY-----" in out


def test_import_prints_the_signer_and_keys_trust_marks_the_key(ctx, sample_case, tmp_path, capsys):
    ws, (case, _) = ctx, sample_case
    out = tmp_path / "cli.evcase"
    code, text, err = run(
        capsys,
        "--db",
        str(ws.store.location.sqlite_path),
        "--reviewer",
        "analyst-a",
        "export",
        "case",
        case.id,
        str(out),
        "--no-report",
    )
    key = signing.load_key("analyst-a")
    assert code == 0 and f"signed by analyst-a, key {key.fingerprint}" in text, err
    laptop = str(tmp_path / "laptop.sqlite")
    code, text, err = run(capsys, "--db", laptop, "import", "case", str(out))
    assert code == 0, err
    assert (
        f"signed by analyst-a, key {key.fingerprint} (new)" in text
        and "WARNING: first file signed with this key" in text
    )
    code, text, err = run(capsys, "--db", laptop, "keys", "trust", key.fingerprint.replace(" ", ":"))
    assert code == 0 and "trusted: analyst-a" in text, err
    code, text, _ = run(capsys, "--db", laptop, "--json", "keys", "show")
    assert [k["status"] for k in json.loads(text)["known"] if k["reviewer"] == "analyst-a"] == ["trusted"]
    code, text, _ = run(capsys, "--db", laptop, "audit", "--imported")
    assert code == 0 and "signed by analyst-a" in text and "UNVERIFIED" not in text
    code, _, err = run(capsys, "--db", laptop, "keys", "trust", "ab" * 32)
    assert code == 1 and "no key with fingerprint" in err


def test_an_unsigned_import_warns_and_the_audit_listing_marks_its_entries_unverified(
    ctx, sample_case, tmp_path, capsys
):
    ws, (case, _) = ctx, sample_case
    old = tmp_path / "older.evcase"
    write_case_file(ws.store, case.id, old, exported_by="analyst-a", with_report=False)
    laptop = str(tmp_path / "laptop.sqlite")
    code, text, err = run(capsys, "--db", laptop, "import", "case", str(old))
    assert code == 0, err
    assert "UNSIGNED: who made this file cannot be checked" in text and "WARNING: unsigned case file" in text
    code, text, _ = run(capsys, "--db", laptop, "audit", "--imported")
    rows = [line for line in text.splitlines()[1:] if line.strip()]
    assert rows and all(line.rstrip().endswith("UNVERIFIED") for line in rows)
    code, text, _ = run(capsys, "--db", laptop, "--json", "audit", "--entity", case.id)
    listed = json.loads(text)
    assert listed["imported"] and not any(e["verified"] for e in listed["imported"])
    assert any(e["action"] == "casefile.import" and e["payload"]["warnings"] for e in listed["entries"])


def test_a_wrongly_signed_file_is_one_line_and_exit_1(ctx, sample_case, tmp_path, capsys):
    import zipfile

    ws, (case, _) = ctx, sample_case
    out = tmp_path / "case.evcase"
    run(
        capsys,
        "--db",
        str(ws.store.location.sqlite_path),
        "--reviewer",
        "analyst-a",
        "export",
        "case",
        case.id,
        str(out),
        "--no-report",
    )
    bad = tmp_path / "bad.evcase"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "manifest.json":
                data = data.replace(b'"scope": "all"', b'"scope": "confirmed"')
            zout.writestr(info, data)
    laptop = tmp_path / "laptop.sqlite"
    code, _, err = run(capsys, "--db", str(laptop), "import", "case", str(bad))
    assert code == 1 and err.count("\n") == 1 and "manifest.sig: the signature does not match the manifest" in err
