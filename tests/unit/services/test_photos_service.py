"""Photo service: import with georeferencing, bad files store nothing, annotations with undo, length checks, derived copies."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image
from sqlalchemy import func, select

from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.services import overlays, photo_annotations, photo_import, photo_placement, photos
from evidence_app.storage.models import AuditEntry, Evidence, IncidentEvidence

LANDSAT = "imagery/landsat7_bahamas_utm18n.tif"
EXIF_PHOTO = "imagery/exif_gps_photo.jpg"


def _count(store, model):
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def _objects(store):
    return sorted(p.name for p in (store.objects.root / "sha256").rglob("*") if p.is_file())


def test_import_landsat_sets_footprint_gsd_and_caches_pyramid(ctx, sample_case, shared_data):
    _, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / LANDSAT)
    assert ev.kind == "photo" and ev.media_type == "image/tiff"
    assert ev.gsd_m == pytest.approx(300, abs=1)
    info = photos.photo_info(ctx, ev.id)
    west, south, east, north = info["bounds"]
    assert (west, south, east, north) == pytest.approx((-78.96, 23.57, -76.57, 25.55), abs=0.01)
    assert info["footprint"]["type"] == "Polygon"
    assert photos.ensure_cache(ctx, ev.id).width == 791
    with ctx.store.read() as s:
        assert (
            s.scalar(select(func.count()).select_from(IncidentEvidence).where(IncidentEvidence.evidence_id == ev.id))
            == 1
        )
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "photo.import")) == 1


def test_import_exif_photo_places_point_and_reads_gps_time(ctx, sample_case, shared_data):
    _, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / EXIF_PHOTO)
    assert (ev.lat, ev.lon) == pytest.approx((43.467448, 11.885127), abs=1e-6)
    assert ev.capture_time.isoformat() == "2008-10-23T14:27:07.240000+00:00"
    assert ev.meta["image"]["georef"]["gps_time"].startswith("2008-10-23T14:27:07")
    assert overlays.overlay_for(ctx, ev.id) is None  # a point: shown as a marker
    # Corrected by the analyst, and placed by hand.
    from datetime import UTC, datetime

    photo_placement.set_capture_time(ctx, ev.id, datetime(2008, 10, 22, 14, 28, tzinfo=UTC))
    g = photo_placement.place_by_hand(ctx, ev.id, center=(43.4674, 11.8851), gsd_m=0.05)
    info = photos.photo_info(ctx, ev.id)
    assert info["capture_time"] == "2008-10-22T14:28:00Z"
    assert info["gsd_m"] == pytest.approx(0.05, rel=1e-3) and g.footprint is not None
    assert overlays.overlay_for(ctx, ev.id) is not None


@pytest.mark.parametrize("kind", ["truncated", "bomb", "garbage", "bogus-geokeys"])
def test_malformed_images_store_nothing(ctx, sample_case, tmp_path, kind):
    _, incident = sample_case
    path = tmp_path / f"{kind}.img"
    if kind == "truncated":
        src = tmp_path / "ok.jpg"
        Image.effect_noise((600, 400), 50).convert("RGB").save(src)
        path.write_bytes(src.read_bytes()[:3000])
        expected = "truncated"
    elif kind == "bomb":
        Image.new("L", (2000, 2000)).save(path, format="PNG")
        expected = "decompression bomb"
    elif kind == "garbage":
        path.write_bytes(b"\x00not an image" * 20)
        expected = "not an image"
    else:
        from PIL.TiffImagePlugin import ImageFileDirectory_v2

        ifd = ImageFileDirectory_v2()
        ifd[33922] = (0.0, 0.0, 0.0, 1.0, 2.0, 0.0)
        ifd.tagtype[33922] = 12
        ifd[34735] = (1, 1, 0, 9, 1024, 0, 1, 1)  # claims 9 keys, holds 1
        ifd.tagtype[34735] = 3
        Image.new("RGB", (10, 10)).save(path, format="TIFF", tiffinfo=ifd)
        expected = "declares 9 keys"
    before_rows, before_objects, before_audit = (
        _count(ctx.store, Evidence),
        _objects(ctx.store),
        _count(ctx.store, AuditEntry),
    )
    with pytest.raises(UserError, match=expected):
        photo_import.import_photo(ctx, incident.id, path, max_pixels=1_000_000)
    assert _count(ctx.store, Evidence) == before_rows
    assert _objects(ctx.store) == before_objects
    assert _count(ctx.store, AuditEntry) == before_audit


def test_annotations_crud_and_undo_data(ctx, sample_case, shared_data):
    _, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / LANDSAT)
    box = photo_annotations.add_annotation(ctx, ev.id, "box", [[10, 10], [50, 40]], "tanker?")
    moved = photo_annotations.update_annotation(ctx, box["id"], points=[[20, 20], [60, 50]], label="tanker")
    assert moved["points"] == [[20, 20], [60, 50]] and moved["label"] == "tanker"
    gone = photo_annotations.delete_annotation(ctx, box["id"])
    assert photo_annotations.list_annotations(ctx, ev.id) == []
    back = photo_annotations.restore_annotation(ctx, gone)
    assert back["id"] == box["id"] and back["points"] == [[20, 20], [60, 50]]
    with pytest.raises(ValidationError, match="expected one of"):
        photo_annotations.add_annotation(ctx, ev.id, "circle", [[1, 1]])
    with ctx.store.read() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "annotation")).all()
    assert actions == ["annotation.add", "annotation.update", "annotation.delete", "annotation.restore"]


def test_measure_against_participant_vessels(ctx, sample_case, shared_data, tmp_path):
    _, incident = sample_case
    # A 1000×600 "photo" placed by hand at 0.5 m/px: 220 px = 110 m, CHON MA SAN's registry length.
    path = tmp_path / "sts.png"
    Image.new("RGB", (1000, 600), (20, 40, 80)).save(path)
    ev = photo_import.import_photo(ctx, incident.id, path)
    with pytest.raises(ValidationError, match="ground sample distance"):
        photo_annotations.length_check(ctx, ev.id, [[100, 100], [320, 100]])
    data, check = photo_annotations.measure(ctx, ev.id, [[100, 100], [320, 100]], gsd_m=0.5, label="hull A")
    assert data["length_m"] == pytest.approx(110) and check.tolerance_m == 1.0
    verdicts = {c.vessel.split(" (")[0]: c.consistent for c in check.comparisons}
    assert verdicts == {"CHON MA SAN": True, "NEW REGENT": False}
    # The stored measurement keeps its GSD: moving an end recomputes the length.
    moved = photo_annotations.update_annotation(ctx, data["id"], points=[[100, 100], [308, 100]])
    assert moved["length_m"] == pytest.approx(104)


def test_export_annotated_copy_is_derived_and_linked(ctx, sample_case, shared_data):
    _, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / LANDSAT)
    with pytest.raises(ValidationError, match="no annotations"):
        photo_annotations.export_annotated(ctx, ev.id)
    photo_annotations.add_annotation(ctx, ev.id, "arrow", [[100, 100], [300, 300]], "here")
    photo_annotations.measure(ctx, ev.id, [[300, 300], [500, 300]])
    derived = photo_annotations.export_annotated(ctx, ev.id)
    assert derived.derived_from_id == ev.id and derived.media_type == "image/png"
    assert derived.footprint == ev.footprint and derived.gsd_m == ev.gsd_m
    with ctx.store.read() as s:
        links = s.scalars(select(IncidentEvidence.incident_id).where(IncidentEvidence.evidence_id == derived.id)).all()
    assert links == [incident.id]
    with Image.open(ctx.store.objects.path_for(derived.sha256)) as im:
        assert im.size == (791, 718)
    # The original is untouched and still verifies.
    assert ctx.store.objects.verify(ev.sha256) is None


def test_overlay_cached_for_landsat(ctx, sample_case, shared_data, tmp_path):
    _, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / LANDSAT)
    ov = overlays.overlay_for(ctx, ev.id)
    assert ov.path.is_file() and ov.west == pytest.approx(-78.96, abs=0.01)
    shutil.copyfile(ov.path, tmp_path / "copy.png")
    again = overlays.overlay_for(ctx, ev.id)
    assert again == ov
