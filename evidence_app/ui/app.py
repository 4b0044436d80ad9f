"""Start the GUI: Qt application set-up (high DPI, palette following the system), the store, and the main window."""

from __future__ import annotations

import sys

from evidence_app.domain.errors import UserError


def run_gui(db: str | None = None, reviewer: str | None = None) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from evidence_app import APP_NAME, APP_SLUG
    from evidence_app.services.context import Context, default_actor
    from evidence_app.services.map_data import CaseMap
    from evidence_app.storage.db import open_store
    from evidence_app.ui.main_window import MainWindow
    from evidence_app.ui.map_view import register_map_scheme
    from evidence_app.ui.style import apply_theme

    # Chromium learns the map's evmap: scheme only before the QApplication exists.
    register_map_scheme()
    if QApplication.instance() is None:
        # Fractional scaling (125 %, 150 %) as the system asks, not rounded to whole numbers.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_SLUG)
    app.setApplicationDisplayName(APP_NAME)
    apply_theme(app, "system")
    try:
        store = open_store(db)
    except UserError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    ctx = Context(store, (reviewer or default_actor()).strip())
    window = MainWindow(ctx, case_map=CaseMap(ctx))
    window.show()
    try:
        return app.exec()
    finally:
        store.close()
