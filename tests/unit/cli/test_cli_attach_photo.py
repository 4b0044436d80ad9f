"""One route for images: ``attach --kind photo`` imports a photo as the desk does
(georeferencing, capture time), and a photo stored earlier as a plain file can be
imported (and so georeferenced) later with ``photo import``."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from evidence_app.services import cases, evidence, incidents
from evidence_app.storage.models import AuditEntry, Evidence


def _json(run, *args):
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _incident(run) -> str:
    case = _json(run, "case", "create", "Bahamas")
    return _json(
        run, "incident", "add", "--case", case["id"], "--start", "2019-03-11T14:00Z", "--lat", "24.5", "--lon", "-77.7"
    )["id"]


def test_attach_kind_photo_goes_through_photo_import(run, shared_data):
    inc = _incident(run)
    tif = shared_data / "imagery" / "landsat7_bahamas_utm18n.tif"
    attached = _json(run, "attach", inc, str(tif), "--kind", "photo")
    (ev_id,) = attached["attached"]
    info = _json(run, "photo", "info", ev_id)
    assert info["kind"] == "photo" and info["meta"]["image"]["georef"]["crs"]
    assert info["bounds"][0] == pytest.approx(-78.9586, abs=1e-3)
    jpg = shared_data / "imagery" / "exif_gps_photo.jpg"
    (jpg_id,) = _json(run, "attach", inc, str(jpg))["attached"]
    info = _json(run, "photo", "info", jpg_id)
    assert info["lat"] == pytest.approx(43.467448, abs=1e-5) and info["capture_time"]


def test_attach_kind_photo_refuses_a_file_that_is_no_photo(run, shared_data):
    inc = _incident(run)
    code, _, err = run("attach", inc, str(shared_data / "README.md"), "--kind", "photo")
    assert code == 1 and "README.md is not a photo" in err and err.count("\n") == 1


def test_a_photo_stored_earlier_as_a_plain_file_is_imported_later(ctx, shared_data, tmp_path):
    from evidence_app.services import photo_import, photos

    case = cases.create_case(ctx, "Bahamas")
    inc = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, 14, tzinfo=UTC))
    tif = shared_data / "imagery" / "landsat7_bahamas_utm18n.tif"
    # The old route: bytes stored and linked, no photo import.
    (plain_id,) = evidence.attach_files(ctx, inc.id, [tif], kind="photo").attached
    with pytest.raises(Exception, match="not an imported photo"):
        photos.photo_info(ctx, plain_id)
    ev = photo_import.import_photo(ctx, inc.id, tif)
    assert ev.id == plain_id  # the same evidence item (same SHA-256), now georeferenced
    info = photos.photo_info(ctx, plain_id)
    assert info["bounds"][0] == pytest.approx(-78.9586, abs=1e-3) and info["gsd_m"]
    with ctx.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "photo.import")).one()
        assert json.loads(entry.payload)["stored_before"] is True
        assert s.get(Evidence, plain_id).kind == "photo"
