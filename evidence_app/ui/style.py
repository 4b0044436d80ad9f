"""Status colours and icons, and the application palette (light, or dark following the system)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from evidence_app.domain.review import Status

STATUS_COLOURS = {
    Status.SUSPECTED.value: "#d99a1e",  # amber: a tip, not yet looked at
    Status.UNDER_REVIEW.value: "#2f7fd1",  # blue: someone is on it
    Status.CONFIRMED.value: "#c8382d",  # red: a confirmed illicit transfer
    Status.REJECTED.value: "#7d8790",  # grey: no transfer
    Status.INCONCLUSIVE.value: "#8a5cc2",  # purple: could not tell
    Status.DISMISSED.value: "#b0b0b0",  # light grey: triaged away as a false positive
}


def status_label(status: str) -> str:
    return status.replace("_", " ")


@cache
def status_icon(status: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x so it stays crisp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(STATUS_COLOURS.get(status, "#999999")))
    painter.setPen(QColor(0, 0, 0, 60))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d30",
        QPalette.ColorRole.WindowText: "#dfe1e5",
        QPalette.ColorRole.Base: "#1e1f22",
        QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#3c3f41",
        QPalette.ColorRole.ToolTipText: "#dfe1e5",
        QPalette.ColorRole.PlaceholderText: "#8c8f94",
        QPalette.ColorRole.Text: "#dfe1e5",
        QPalette.ColorRole.Button: "#3a3d41",
        QPalette.ColorRole.ButtonText: "#dfe1e5",
        QPalette.ColorRole.BrightText: "#ff6b68",
        QPalette.ColorRole.Highlight: "#2f65ca",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#589df6",
        QPalette.ColorRole.Mid: "#45484c",
        QPalette.ColorRole.Dark: "#1b1c1f",
        QPalette.ColorRole.Light: "#4e5157",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    return p


def apply_theme(app: QApplication, scheme: str = "system") -> str:
    """Fusion style with a dark palette when asked, or when the system is in dark mode.

    Returns the scheme applied ("dark" or "light").
    """
    if scheme == "system":
        scheme = "dark" if app.styleHints().colorScheme() == Qt.ColorScheme.Dark else "light"
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if scheme == "dark" else app.style().standardPalette())
    return scheme


SANCTION_COLOUR = "#b3261e"  # deep red: a designated (sanctioned) vessel, wherever it appears
SANCTION_BADGE_STYLE = (
    f"background: {SANCTION_COLOUR}; color: white; font-weight: bold; border-radius: 3px; padding: 2px 8px;"
)


@cache
def sanction_icon(size: int = 14) -> QIcon:
    """A small red badge with a white 'S': the mark of a sanctioned vessel in lists and tables."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont

    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(SANCTION_COLOUR))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), 3, 3)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.72))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "S")
    painter.end()
    return QIcon(pixmap)
