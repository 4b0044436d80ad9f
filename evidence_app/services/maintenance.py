"""Store housekeeping: removing evidence objects no record names and temporaries of writers that are gone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evidence_app.storage.db import Store


@dataclass
class GcReport:
    dry_run: bool
    unreferenced_objects: list[str] = field(default_factory=list)
    unreferenced_bytes: int = 0
    stale_temporaries: list[str] = field(default_factory=list)
    stale_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"{verb} {len(self.unreferenced_objects)} unreferenced evidence object(s) ({self.unreferenced_bytes} bytes)"
            f" and {len(self.stale_temporaries)} stale temporary item(s) ({self.stale_bytes} bytes)"
        )


def collect_garbage(store: Store, *, dry_run: bool = False) -> GcReport:
    """Remove objects that no evidence record names and that no running writer holds, and
    temporary folders whose writer is no longer alive. Live writers are never touched: an
    object stored but not yet recorded is pinned by its writer until its transaction ends."""
    result = store.objects.collect(store.referenced_objects, dry_run=dry_run)
    return GcReport(
        dry_run, result.unreferenced, result.unreferenced_bytes, result.stale_temporaries, result.stale_bytes
    )
