"""Start the GUI: Qt application set-up, the store, and the main window."""

from __future__ import annotations

import sys

from evidence_app.domain.errors import UserError


def run_gui(db: str | None = None, reviewer: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from evidence_app import APP_NAME
    from evidence_app.services.context import Context, default_actor
    from evidence_app.storage.db import open_store
    from evidence_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    try:
        store = open_store(db)
    except UserError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    window = MainWindow(Context(store, (reviewer or default_actor()).strip()))
    window.show()
    try:
        return app.exec()
    finally:
        store.close()
