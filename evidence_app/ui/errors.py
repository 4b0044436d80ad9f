"""Showing errors: a clear dialog for what the user can act on; a log entry and a short note for bugs."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from evidence_app import APP_NAME
from evidence_app.domain.errors import Cancelled, UserError, ValidationError

log = logging.getLogger("evidence_app.ui")


def configure_log_file(path: Path) -> Path | None:
    """Append programming errors (with tracebacks) to ``path``; None when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("evidence_app")
    for old in [h for h in root.handlers if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    # Libraries' warnings (Pillow's DecompressionBombWarning...) belong in the log, not on stderr.
    logging.captureWarnings(True)
    warnings_log = logging.getLogger("py.warnings")
    for old in [
        h for h in warnings_log.handlers if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path
    ]:
        warnings_log.removeHandler(old)
    warnings_log.addHandler(handler)
    warnings_log.propagate = False
    return path


def describe_error(exc: BaseException, log_path: Path | None) -> tuple[str, str]:
    """(severity, text): 'warning' for user errors, 'critical' for bugs (which are logged)."""
    if isinstance(exc, UserError):
        return "warning", str(exc)
    if isinstance(exc, Cancelled):
        return "info", "Cancelled: nothing was changed."
    trace = getattr(exc, "__traceback_text__", None) or "".join(traceback.format_exception(exc))
    log.error("unexpected error: %s: %s\n%s", type(exc).__name__, exc, trace)
    where = f"details in {log_path}" if log_path else "details in the log"
    return "critical", f"Something went wrong ({type(exc).__name__}); {where}."


def show_error(parent: QWidget | None, exc: BaseException, log_path: Path | None) -> QMessageBox:
    """A non-blocking message box (window-modal), so the event loop and tests keep running."""
    severity, text = describe_error(exc, log_path)
    icon = {"warning": QMessageBox.Icon.Warning, "critical": QMessageBox.Icon.Critical}.get(
        severity, QMessageBox.Icon.Information
    )
    box = QMessageBox(icon, APP_NAME, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.setAccessibleName("Error")
    box.open()
    return box


def valid_input(check: Callable[[], object], error_label: QLabel) -> bool:
    """Run a dialog's input check; on a ValidationError show its message at the label.

    A dialog's ``accept()`` closes only ``if valid_input(self.request, self.error_label)``.
    """
    try:
        check()
    except ValidationError as exc:
        error_label.setText(exc.message)
        error_label.show()
        return False
    error_label.hide()
    return True
