"""Bulk position reading: bounded blocks straight into numpy, every stored row once, the same tracks as row by row."""

from __future__ import annotations

import numpy as np
import pytest

from evidence_app.services import detect
from evidence_app.storage import audit
from evidence_app.storage.bulk import PositionWriter
from evidence_app.storage.models import Evidence
from evidence_app.storage.positions import position_blocks


def _store_rows(store, rows):
    with store.write() as session:
        evidence = Evidence(sha256="1" * 64, size=0, kind="ais", original_name="generated")
        session.add(evidence)
        session.flush()
        PositionWriter(session, evidence.id).write(rows)
        audit.record(session, "tester", "evidence.add", "evidence", evidence.id, {"rows": len(rows)})


@pytest.mark.backends
def test_blocks_are_bounded_and_hold_every_row_once(store):
    rows = [
        (
            200000000 + i % 7,
            1_700_000_000 + i * 60,
            10 + i * 1e-4,
            20 - i * 1e-4,
            None if i % 5 else 3.5,
            None,
            None,
            None,
        )
        for i in range(100)
    ]
    _store_rows(store, rows)
    with store.read() as session:
        blocks = list(position_blocks(session, 0, 1 << 40, block_rows=16))
        assert all(b.shape[0] <= 16 and b.shape[1] == 5 for b in blocks)
        got = np.concatenate(blocks)
        assert got.shape[0] == 100
        # SOG not reported comes back as -1 (treated as missing by the detectors).
        assert sorted(got[:, 4].tolist()) == sorted(-1.0 if r[4] is None else r[4] for r in rows)
        assert sorted(map(tuple, got[:, :4].tolist())) == sorted((float(r[0]), float(r[1]), r[2], r[3]) for r in rows)
        # A time window and a vessel list (more vessels than one statement's batch) narrow it down.
        some = list(
            position_blocks(
                session, 1_700_000_000, 1_700_000_000 + 30 * 60, [200000001, 200000003] + list(range(1, 2000))
            )
        )
        picked = np.concatenate(some)
        assert set(picked[:, 0].astype(int).tolist()) == {200000001, 200000003}
        assert picked[:, 1].max() <= 1_700_000_000 + 30 * 60
        tracks = detect.load_tracks(session, 0, 1 << 40)
    assert len(tracks) == 100 and tracks.vessels.tolist() == [200000000 + i for i in range(7)]
    assert (np.diff(tracks.ts[tracks.rows_of(200000002)]) > 0).all()  # time order per vessel
