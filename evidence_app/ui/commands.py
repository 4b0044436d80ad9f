"""Undoable edits of the review desk: each is a service call and its inverse, on one QUndoStack.

Every command runs its first execution through ``Desk.perform`` (so a refused edit never
enters the stack and its error reaches the field that caused it), then lives on the
stack; undo and redo call services again, each one audited transaction. Review decisions
are never erased: undoing one records the reverse transition (see ``ReviewCommand``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from evidence_app.domain.errors import ConnectionLost, UserError, ValidationError
from evidence_app.services import evidence, incidents, placement, review, tags
from evidence_app.services.context import Context
from evidence_app.services.record_edits import BASE_ONLY

log = logging.getLogger(__name__)


class Desk(QObject):
    """The window's service facade: the context, the undo stack, and change notifications."""

    incidentChanged = Signal(str)  # one incident's fields, evidence, tags or review changed
    incidentsChanged = Signal()  # incidents were added or removed
    casesChanged = Signal()
    evidenceChanged = Signal(str)  # an evidence item's description or tags changed
    evidencePlaced = Signal(str)  # an evidence item's position changed (the map redraws footprints)

    def __init__(
        self, ctx: Context, report_error: Callable[[BaseException], None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.undo_stack = QUndoStack(self)
        self.report_error = report_error
        # Who keeps an edit the server never received (the live desk retries it when the server is back).
        self.on_connection_lost: Callable[[DeskCommand, ConnectionLost], None] | None = None

    def perform(
        self,
        command: DeskCommand,
        *,
        on_invalid: Callable[[ValidationError], None] | None = None,
        already_done: bool = False,
    ) -> bool:
        """Run a command once and push it; a refused edit shows its error and is not pushed."""
        if not already_done:
            try:
                command.apply()
            except ValidationError as exc:
                (on_invalid or self.report_error)(exc)
                return False
            except ConnectionLost as exc:
                if self.on_connection_lost is None:
                    self.report_error(exc)
                else:
                    self.on_connection_lost(command, exc)
                return False
            except Exception as exc:  # noqa: BLE001 (a bug: logged, shown as such)
                self.report_error(exc)
                return False
            command.notify()
        command.skip_next_redo = True
        self.undo_stack.push(command)
        return True


class DeskCommand(QUndoCommand):
    def __init__(self, desk: Desk, text: str) -> None:
        super().__init__(text)
        self.desk = desk
        self.skip_next_redo = False

    @property
    def ctx(self) -> Context:
        return self.desk.ctx

    # Subclasses: do it, undo it, and say what changed.
    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def notify(self) -> None:
        pass

    def redo(self) -> None:
        if self.skip_next_redo:  # pushed after its first run in Desk.perform
            self.skip_next_redo = False
            return
        self._guarded(self.apply)

    def undo(self) -> None:
        self._guarded(self.revert)

    def _guarded(self, step: Callable[[], None]) -> None:
        # Qt calls undo()/redo() from C++: an exception must not escape. When the store no
        # longer allows the step (someone else moved the incident), the command is dropped.
        try:
            step()
        except UserError as exc:
            self.setObsolete(True)
            self.desk.report_error(exc)
        except Exception as exc:  # noqa: BLE001
            self.setObsolete(True)
            self.desk.report_error(exc)
        self.notify()


class IncidentCommand(DeskCommand):
    def __init__(self, desk: Desk, text: str, incident_id: str) -> None:
        super().__init__(desk, text)
        self.incident_id = incident_id

    def notify(self) -> None:
        self.desk.incidentChanged.emit(self.incident_id)


class EditIncidentCommand(IncidentCommand):
    """Change incident fields; ``before``/``after`` hold Python values (datetimes, lists).

    Optimistic locking: every run expects the record as the other direction left it
    (the first run: as the panel loaded it, ``base_version``); the version each run
    produced travels with the command. If a colleague changed one of these fields since,
    the service refuses with a ``ConflictError`` (audited) and the command is dropped.
    """

    def __init__(
        self,
        desk: Desk,
        incident_id: str,
        before: dict[str, Any],
        after: dict[str, Any],
        text: str | None = None,
        base_version: int = BASE_ONLY,
    ) -> None:
        names = ", ".join(k.replace("_", " ") for k in after)
        super().__init__(desk, text or f"Edit {names}", incident_id)
        self.before, self.after = before, after
        self.version = base_version

    def apply(self) -> None:
        self.version = incidents.update_incident(
            self.ctx, self.incident_id, expected_version=self.version, base=self.before, **self.after
        ).version

    def revert(self) -> None:
        self.version = incidents.update_incident(
            self.ctx, self.incident_id, expected_version=self.version, base=self.after, **self.before
        ).version


class AddIncidentCommand(IncidentCommand):
    """Add an incident; undo deletes it (refused once it has a review history), redo re-creates it under the same id."""

    def __init__(self, desk: Desk, case_id: str, start_utc: datetime, fields: dict[str, Any]) -> None:
        super().__init__(desk, "Add incident", "")
        self.case_id, self.start_utc, self.fields = case_id, start_utc, fields

    def apply(self) -> None:
        created = incidents.add_incident(
            self.ctx, self.case_id, start_utc=self.start_utc, incident_id=self.incident_id or None, **self.fields
        )
        self.incident_id = created.id

    def revert(self) -> None:
        incidents.delete_incident(self.ctx, self.incident_id)

    def notify(self) -> None:
        self.desk.incidentsChanged.emit()


class AttachCommand(IncidentCommand):
    """Evidence attached by a background task; undo detaches the links (the files stay in the store)."""

    def __init__(self, desk: Desk, incident_id: str, evidence_ids: list[str], names: list[str]) -> None:
        label = names[0] if len(names) == 1 else f"{len(names)} files"
        super().__init__(desk, f"Attach {label}", incident_id)
        self.evidence_ids = evidence_ids

    def apply(self) -> None:
        for evidence_id in self.evidence_ids:
            evidence.relink(self.ctx, self.incident_id, evidence_id)

    def revert(self) -> None:
        for evidence_id in self.evidence_ids:
            evidence.detach(self.ctx, self.incident_id, evidence_id)


class DetachCommand(IncidentCommand):
    def __init__(self, desk: Desk, incident_id: str, evidence_id: str, relation: str, note: str) -> None:
        super().__init__(desk, "Detach evidence", incident_id)
        self.evidence_id, self.relation, self.note = evidence_id, relation, note

    def apply(self) -> None:
        evidence.detach(self.ctx, self.incident_id, self.evidence_id)

    def revert(self) -> None:
        evidence.relink(self.ctx, self.incident_id, self.evidence_id, relation=self.relation, note=self.note)


class LinkCommand(IncidentCommand):
    """Supports / contradicts, and the relevance note, of one attached item."""

    def __init__(
        self, desk: Desk, incident_id: str, evidence_id: str, before: dict[str, str], after: dict[str, str]
    ) -> None:
        super().__init__(desk, "Change evidence relation", incident_id)
        self.evidence_id, self.before, self.after = evidence_id, before, after

    def apply(self) -> None:
        evidence.set_link(self.ctx, self.incident_id, self.evidence_id, **self.after)

    def revert(self) -> None:
        evidence.set_link(self.ctx, self.incident_id, self.evidence_id, **self.before)


class EvidenceEditCommand(IncidentCommand):
    """Grading and description of an evidence item (never its bytes)."""

    def __init__(
        self,
        desk: Desk,
        incident_id: str,
        evidence_id: str,
        before: dict[str, Any],
        after: dict[str, Any],
        base_version: int = BASE_ONLY,
    ) -> None:
        super().__init__(
            desk, "Grade evidence" if {"reliability", "credibility"} & set(after) else "Edit evidence", incident_id
        )
        self.evidence_id, self.before, self.after = evidence_id, before, after
        self.version = base_version

    # Locked like EditIncidentCommand: never over a colleague's newer grading.
    def apply(self) -> None:
        self.version = evidence.update_evidence(
            self.ctx, self.evidence_id, expected_version=self.version, base=self.before, **self.after
        ).version

    def revert(self) -> None:
        self.version = evidence.update_evidence(
            self.ctx, self.evidence_id, expected_version=self.version, base=self.after, **self.before
        ).version


class ParticipantCommand(IncidentCommand):
    """Add, change or remove a participant; ``None`` on one side means absent."""

    def __init__(
        self, desk: Desk, incident_id: str, vessel_ref: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        text = "Add participant" if before is None else "Remove participant" if after is None else "Edit participant"
        super().__init__(desk, text, incident_id)
        self.vessel_ref, self.before, self.after = vessel_ref, _whole(before), _whole(after)

    def _set(self, values: dict[str, Any] | None, base: dict[str, Any] | None) -> None:
        # Each direction expects the participant as the other one left it (None: absent).
        if values is None:
            incidents.remove_participant(
                self.ctx, self.incident_id, self.vessel_ref, expected_version=BASE_ONLY, base=base
            )
        else:
            incidents.set_participant(
                self.ctx, self.incident_id, self.vessel_ref, expected_version=BASE_ONLY, base=base, **values
            )

    def apply(self) -> None:
        self._set(self.after, self.before)

    def revert(self) -> None:
        self._set(self.before, self.after)


# A participant as the store compares it; an add given only a role claims no other identity,
# and its undo expects exactly that (a partial base never matches and the undo is refused).
_NEW_PARTICIPANT = {
    "role": "unknown",
    "claimed_name": "",
    "claimed_flag": "",
    "claimed_mmsi": None,
    "claimed_imo": None,
}


def _whole(state: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if state is None else {**_NEW_PARTICIPANT, **state}


class TagCommand(DeskCommand):
    def __init__(self, desk: Desk, entity: str, entity_id: str, name: str, add: bool, incident_id: str = "") -> None:
        super().__init__(desk, f"{'Tag' if add else 'Untag'} {entity} '{name}'")
        self.entity, self.entity_id, self.name, self.add = entity, entity_id, tags.normalise_tag(name), add
        self.incident_id = incident_id or (entity_id if entity == "incident" else "")

    def _do(self, add: bool) -> None:
        if self.entity == "incident":
            (tags.tag_incident if add else tags.untag_incident)(self.ctx, self.entity_id, self.name)
        else:
            (tags.tag_evidence if add else tags.untag_evidence)(self.ctx, self.entity_id, self.name)

    def apply(self) -> None:
        self._do(self.add)

    def revert(self) -> None:
        self._do(not self.add)

    def notify(self) -> None:
        if self.incident_id:
            self.desk.incidentChanged.emit(self.incident_id)
        if self.entity == "evidence":
            self.desk.evidenceChanged.emit(self.entity_id)


class ReviewCommand(IncidentCommand):
    """A review decision. Undo never erases it: it records the reverse transition.

    Undo of a status change records the way back (e.g. confirmed → under review →
    suspected) with the rationale "Undo: …", as the workflow rules allow every way back
    given a rationale. Undo of a four-eyes proposal withdraws the proposal. If someone
    else has moved the incident since, the undo is refused and dropped from the stack.
    Redo makes the same decision again, recorded anew.
    """

    def __init__(self, desk: Desk, incident_id: str, from_status: str, target: str, rationale: str) -> None:
        super().__init__(desk, f"Review: {target.replace('_', ' ')}", incident_id)
        self.from_status, self.target, self.rationale = from_status, target, rationale
        self.result_status = ""
        self.was_proposal = False

    def apply(self) -> None:
        # Based on the status the panel showed: a colleague's decision since is a conflict.
        events = review.review(
            self.ctx,
            self.incident_id,
            self.target,
            rationale=self.rationale,
            expected_version=BASE_ONLY,
            base_status=self.from_status,
        )
        self.was_proposal = events[-1].kind == "proposal"
        self.result_status = events[-1].from_status if self.was_proposal else events[-1].to_status

    def revert(self) -> None:
        reason = f"Undo: {self.rationale}" if self.rationale else f"Undo of '{self.target.replace('_', ' ')}'"
        if self.was_proposal:
            review.withdraw_proposal(self.ctx, self.incident_id, rationale=reason)
        if self.result_status != self.from_status:  # a proposal from "suspected" also started the review
            review.revert(
                self.ctx,
                self.incident_id,
                expected_status=self.result_status,
                to_status=self.from_status,
                rationale=reason,
            )


class DismissCommand(ReviewCommand):
    """Dismiss a detection (or undo that): the incident leaves (or rejoins) the default list."""

    def __init__(self, desk: Desk, incident_id: str, from_status: str, rationale: str) -> None:
        super().__init__(desk, incident_id, from_status, "dismissed", rationale)
        self.setText("Dismiss detection")

    def notify(self) -> None:
        super().notify()
        self.desk.incidentsChanged.emit()


class PlaceCommand(DeskCommand):
    """A position set on the map (a click in place mode, or a dragged marker).

    The first run goes through ``services.placement`` (position method "placed on map");
    undo and redo write the recorded before/after values back, each audited.
    """

    def __init__(self, desk: Desk, kind: str, item_id: str, lat: float, lon: float, incident_id: str = "") -> None:
        if kind not in ("incident", "evidence"):
            raise ValueError(f"cannot place a {kind!r}; expected incident or evidence")
        super().__init__(desk, f"Place {kind} on map")
        self.kind, self.item_id, self.lat, self.lon = kind, item_id, lat, lon
        self.incident_id = item_id if kind == "incident" else incident_id
        self.placement: placement.Placement | None = None

    def apply(self) -> None:
        if self.placement is None:
            place = placement.place_incident if self.kind == "incident" else placement.place_evidence
            self.placement = place(self.ctx, self.item_id, self.lat, self.lon)
        else:
            placement.restore(self.ctx, self.placement, undo=False)

    def revert(self) -> None:
        if self.placement is not None:
            placement.restore(self.ctx, self.placement, undo=True)

    def notify(self) -> None:
        if self.kind == "evidence":
            self.desk.evidencePlaced.emit(self.item_id)
        if self.incident_id:
            self.desk.incidentChanged.emit(self.incident_id)
