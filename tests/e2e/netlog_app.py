"""Run the real desk on the demo case for a while with Chromium's net log on (a subprocess of the offline test).

Usage: python netlog_app.py NETLOG_PATH WORKDIR SECONDS [--control]
With --control it also loads a page from a loopback port, so the net log must show a
request: that proves the test's detector can fail.
"""

import os
import sys
import time
from pathlib import Path

netlog, workdir, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
control = "--control" in sys.argv
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (
    f"--no-sandbox --disable-gpu --log-net-log={netlog} --net-log-capture-mode=Everything"
)

from PySide6.QtCore import QTimer, QUrl  # noqa: E402

from evidence_app.services import demo  # noqa: E402
from evidence_app.services.context import Context  # noqa: E402
from evidence_app.services.map_data import CaseMap  # noqa: E402
from evidence_app.storage.db import open_store  # noqa: E402
from evidence_app.ui.app import prepare_application  # noqa: E402
from evidence_app.ui.main_window import MainWindow  # noqa: E402

app = prepare_application([sys.argv[0]])
store = open_store(workdir / "store.sqlite")
ctx = Context(store, "offline-test")
demo.create_demo_case(ctx, workdir)
window = MainWindow(ctx, case_map=CaseMap(ctx))
window.resize(1400, 900)
window.show()
extra = None
if control:
    from PySide6.QtWebEngineWidgets import QWebEngineView

    extra = QWebEngineView()
    extra.load(QUrl("http://127.0.0.1:9/"))  # loopback, discard port: nothing answers
# Use the desk the way an analyst would: walk the incidents, open the photo tab.
seen_layers: list[dict] = []
window.desk_map.view.layersReady.connect(seen_layers.append)
rows = window.list_panel.model.rowCount()
for i in range(rows):
    QTimer.singleShot(2000 + 1000 * i, lambda i=i: window.list_panel.view.selectRow(i))
QTimer.singleShot(int(seconds * 500), lambda: window.map_tabs.setCurrentIndex(1))
# Run at least `seconds`, and on until the map has drawn the demo case (a loaded machine
# draws later): the log must cover the whole case being shown, whatever the load.
# (The control run only needs the loopback request in the log: it does not wait as long.)
deadline = time.monotonic() + max(120.0 if control else 300.0, seconds)


def quit_when_drawn() -> None:
    drawn = (
        bool(seen_layers)
        and seen_layers[-1].get("counts", {}).get("incidents") == 3
        and seen_layers[-1]["counts"].get("overlays") == 1
    )
    if drawn or time.monotonic() > deadline:
        app.quit()
    else:
        QTimer.singleShot(500, quit_when_drawn)


QTimer.singleShot(int(seconds * 1000), quit_when_drawn)
app.exec()
import json  # noqa: E402

print("LAYERS " + json.dumps(seen_layers[-1].get("counts", {}) if seen_layers else {}))
window.close()
del extra
store.close()
