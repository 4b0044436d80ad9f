"""One photo as the viewer sees it: every read and write of the photo viewer goes through this handle to the services."""

from __future__ import annotations

from typing import Any

from evidence_app.analysis.length import LengthCheck
from evidence_app.imagery.pyramid import build_preview, open_pyramid
from evidence_app.services.context import Context
from evidence_app.services.photo_annotations import (
    add_annotation,
    delete_annotation,
    length_check,
    list_annotations,
    restore_annotation,
    update_annotation,
)
from evidence_app.services.photos import cache_dir, georef_of, resolve_photo


class PhotoHandle:
    """One photo as the viewer sees it (``ui.photo_viewer.PhotoModel``); every write is a service call."""

    def __init__(self, ctx: Context, evidence_id: str, incident_id: str | None = None) -> None:
        self.ctx = ctx
        with ctx.store.read() as session:
            ev = resolve_photo(session, evidence_id)
        self.evidence_id = ev.id
        self.incident_id = incident_id  # the length check compares with this incident's vessels
        self.title = ev.original_name
        self.width = int(ev.meta["image"]["width"])
        self.height = int(ev.meta["image"]["height"])
        self.georef = georef_of(ev)
        self.gsd_m = ev.gsd_m
        root = cache_dir(ctx, ev.sha256)
        self.preview_path = build_preview(ctx.store.objects.path_for(ev.sha256), root, max_pixels=2**62)
        self.pyramid = open_pyramid(root)

    def annotations(self) -> list[dict[str, Any]]:
        return list_annotations(self.ctx, self.evidence_id)

    def add_annotation(
        self,
        shape: str,
        points: list[list[float]],
        label: str = "",
        style: dict[str, Any] | None = None,
        gsd_m: float | None = None,
    ) -> dict[str, Any]:
        return add_annotation(self.ctx, self.evidence_id, shape, points, label, style, gsd_m=gsd_m)

    def update_annotation(
        self,
        annotation_id: str,
        *,
        points: list[list[float]] | None = None,
        label: str | None = None,
        gsd_m: float | None = None,
    ) -> dict[str, Any]:
        return update_annotation(self.ctx, annotation_id, points=points, label=label, gsd_m=gsd_m)

    def delete_annotation(self, annotation_id: str) -> dict[str, Any]:
        return delete_annotation(self.ctx, annotation_id)

    def restore_annotation(self, data: dict[str, Any]) -> dict[str, Any]:
        return restore_annotation(self.ctx, data)

    def length_check(self, points: list[list[float]], gsd_m: float | None = None) -> LengthCheck:
        return length_check(self.ctx, self.evidence_id, points, gsd_m, incident_id=self.incident_id)

    def ais_check(self) -> Any:
        """The vessels AIS places in the photo at capture time, and its dark hulls (``services.photo_ais``)."""
        from evidence_app.services.photo_ais import check_photo

        return check_photo(self.ctx, self.evidence_id)
