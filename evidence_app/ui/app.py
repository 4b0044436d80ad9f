"""Start the GUI: Qt application set-up (high DPI, palette following the system), the store, and the main window."""

from __future__ import annotations

import logging
import sys

from evidence_app.domain.errors import UserError

# Chromium features that would reach out on their own (component and safe-browsing
# updates, DNS prefetch, hyperlink-auditing pings). The page's requests are confined by the
# evmap: scheme and the request guard; these close the browser's own background traffic.
OFFLINE_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--dns-prefetch-disable",
    "--no-pings",
)


def offline_chromium_flags(existing: str, *, as_root: bool = False) -> str:
    """The user's QTWEBENGINE_CHROMIUM_FLAGS with ours appended (theirs are kept, none doubled).

    Chromium refuses to start its sandbox as root (containers, some lab machines): there
    the map would stay blank, so ``--no-sandbox`` is added, and the log says so.
    """
    flags = existing.split()
    ours = list(OFFLINE_CHROMIUM_FLAGS) + (["--no-sandbox"] if as_root else [])
    return " ".join(flags + [f for f in ours if f not in flags])


def prepare_application(argv: list[str] | None = None):  # noqa: ANN201  (QApplication, imported lazily)
    """Everything that must happen before and as the QApplication is created; returns it."""
    import os

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from evidence_app import APP_NAME, APP_SLUG
    from evidence_app.ui.map_view import register_map_scheme
    from evidence_app.ui.style import apply_theme

    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root:
        logging.getLogger(__name__).warning("running as root: the map's browser runs without Chromium's sandbox")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = offline_chromium_flags(
        os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""), as_root=as_root
    )
    # Chromium learns the map's evmap: scheme only before the QApplication exists.
    register_map_scheme()
    if QApplication.instance() is None:
        # Fractional scaling (125 %, 150 %) as the system asks, not rounded to whole numbers.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_SLUG)
    app.setApplicationDisplayName(APP_NAME)
    apply_theme(app, "system")
    return app


def run_gui(db: str | None = None, reviewer: str | None = None) -> int:
    from PySide6.QtWidgets import QMessageBox

    from evidence_app import APP_NAME
    from evidence_app.services.context import context_for
    from evidence_app.services.map_data import CaseMap
    from evidence_app.storage.db import open_store
    from evidence_app.ui.main_window import MainWindow

    app = prepare_application()
    try:
        store = open_store(db)
    except UserError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    try:
        ctx = context_for(store, reviewer)  # on a team database: the login, never a typed name
    except UserError as exc:
        store.close()
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    window = MainWindow(ctx, case_map=CaseMap(ctx))
    window.fit_to_screen()  # a laptop's first start: the compact layout
    window.show()
    try:
        return app.exec()
    finally:
        # Web pages must go while the application exists: left to interpreter shutdown,
        # Chromium may release a profile before its page and crash on the way out.
        from PySide6.QtCore import QCoreApplication, QEvent

        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        store.close()
