"""Round-trip properties over generated cases (``casegen``), each case built through the services.

- export → import into a fresh store: the same records, ids included; ``verify`` passes on both;
- export → import into the store it came from: nothing changes;
- two stores diverged from one case: the merge takes one-sided changes; only records
  changed on both sides become conflicts;
- insertion order never matters: the file's records in any order merge to the same store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_app.services import casefiles
from evidence_app.services.verify import verify_store
from tests.unit.casefile.casegen import REACHED, Kit, apply_edits, build_case, by_id, case_plans, edit_lists

# Four properties x 50 examples: at least 200 generated cases in every run of the suite.
EXAMPLES = int(os.environ.get("CASEGEN_EXAMPLES", "50"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory):
    """Photos, the AIS file and an empty migrated store, made once; reviewer keys in a temporary config folder."""
    root = tmp_path_factory.mktemp("casegen")
    saved = os.environ.get("EVIDENCE_APP_CONFIG")
    os.environ["EVIDENCE_APP_CONFIG"] = str(root / "config")
    try:
        yield Kit.make(root)
    finally:
        if saved is None:
            os.environ.pop("EVIDENCE_APP_CONFIG", None)
        else:
            os.environ["EVIDENCE_APP_CONFIG"] = saved


def exported(ctx, case_id: str, kit: Kit) -> Path:
    path = kit.scratch() / "case.evcase"
    casefiles.export_case(ctx, case_id, path, with_report=False)
    return path


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal dumps, with the first difference named when they are not."""
    for key in sorted(set(a) | set(b)):
        assert a.get(key) == b.get(key), f"{key} differs"


@SETTINGS
@given(plan=case_plans())
def test_export_then_import_into_a_fresh_store_gives_the_same_records(kit: Kit, plan) -> None:
    src = kit.store(kit.scratch())
    fresh = kit.store(kit.scratch(), "committee")
    try:
        built = build_case(src, plan, kit)
        report = casefiles.import_case(fresh, exported(src, built.case_id, kit))
        assert report.new_case and not report.conflicts
        same(casefiles.dump_case(fresh, built.case_id), casefiles.dump_case(src, built.case_id))
        assert verify_store(src.store).ok and verify_store(fresh.store).ok
    finally:
        src.store.close()
        fresh.store.close()


@SETTINGS
@given(plan=case_plans())
def test_importing_a_case_file_into_the_store_it_came_from_changes_nothing(kit: Kit, plan) -> None:
    src = kit.store(kit.scratch())
    try:
        built = build_case(src, plan, kit)
        before = casefiles.dump_case(src, built.case_id)
        report = casefiles.import_case(src, exported(src, built.case_id, kit))
        assert not report.added and not report.updated and not report.deleted and not report.conflicts
        same(casefiles.dump_case(src, built.case_id), before)
        assert verify_store(src.store).ok
    finally:
        src.store.close()


def without_count(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record without the evidence count an incident keeps (it follows the links, merged on their own)."""
    return None if record is None else {k: v for k, v in record.items() if k != "evidence_count"}


@SETTINGS
@given(plan=case_plans(), ours=edit_lists(), theirs=edit_lists())
def test_diverged_stores_merge_one_sided_changes_and_conflict_only_on_both_sided_ones(
    kit: Kit, plan, ours, theirs
) -> None:
    a = kit.store(kit.scratch())
    b = kit.store(kit.scratch(), "field-analyst")
    try:
        built = build_case(a, plan, kit)
        casefiles.import_case(b, exported(a, built.case_id, kit))
        common = casefiles.dump_case(a, built.case_id)
        mine = apply_edits(a, "A", common, ours)
        other = apply_edits(b, "B", common, theirs)
        a_before, b_final = by_id(casefiles.dump_case(a, built.case_id)), by_id(casefiles.dump_case(b, built.case_id))
        report = casefiles.import_case(a, exported(b, built.case_id, kit))
        after = by_id(casefiles.dump_case(a, built.case_id))

        deleted_both = {k for k in mine & other if k not in a_before and k not in b_final}
        # A record the case reaches only through links (evidence, vessels...) that theirs cut off is
        # not in their file: their edit of it cannot clash with ours.
        dropped_by_theirs = {k for k in mine & other if k[0] in REACHED and k not in b_final}
        assert {(c["record_type"], c["record_id"]) for c in report.conflicts} == (
            mine & other
        ) - deleted_both - dropped_by_theirs
        for key in set(after) | set(a_before) | set(b_final):
            reached = key[0] in REACHED
            if reached and (key not in after or (key in other and key not in b_final)):
                continue  # in the case or not by what links to it: checked through those records
            expected = b_final.get(key) if key in other - mine else a_before.get(key)
            assert without_count(after.get(key)) == without_count(expected), key
        assert verify_store(a.store).ok
    finally:
        a.store.close()
        b.store.close()


@SETTINGS
@given(plan=case_plans(), shuffle=st.randoms(use_true_random=False))
def test_records_merge_to_the_same_store_in_any_order(kit: Kit, plan, shuffle) -> None:
    from evidence_app.casefile.importer import open_case_file
    from evidence_app.casefile.merge import merge_case_file
    from evidence_app.casefile.record_dicts import store_id

    src = kit.store(kit.scratch())
    fresh = kit.store(kit.scratch(), "committee")
    try:
        built = build_case(src, plan, kit)
        cf = open_case_file(exported(src, built.case_id, kit))
        try:
            for rows in [*cf.records.records.values(), cf.records.tombstones]:
                shuffle.shuffle(rows)
            for member in cf.evidence_members.values():
                with cf.open_member(member) as fh:
                    fresh.store.objects.put_stream(fh, total=cf.files[member]["size"])
            with fresh.store.write() as session:
                merge_case_file(session, "committee", cf, store_id(session), "shuffled")
        finally:
            cf.close()
        same(casefiles.dump_case(fresh, built.case_id), casefiles.dump_case(src, built.case_id))
        assert verify_store(fresh.store).ok
    finally:
        src.store.close()
        fresh.store.close()
