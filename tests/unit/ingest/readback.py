"""What an import left in the store, read back in the shape the importer tests compare."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.storage.models import AisPosition, VesselIdentity


def stored_positions(session: Session) -> list[tuple]:
    """Every stored position as (mmsi, ts, lat, lon, sog, cog, heading, nav_status)."""
    columns = (
        AisPosition.mmsi,
        AisPosition.ts,
        AisPosition.lat,
        AisPosition.lon,
        AisPosition.sog,
        AisPosition.cog,
        AisPosition.heading,
        AisPosition.nav_status,
    )
    return [tuple(r) for r in session.execute(select(*columns))]


def stored_identities(session: Session) -> set[tuple]:
    """Every identity observation as (mmsi, name, imo, call sign)."""
    return {(i.mmsi, i.name, i.imo, i.call_sign) for i in session.scalars(select(VesselIdentity))}
