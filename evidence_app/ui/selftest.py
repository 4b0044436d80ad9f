"""``evidence-app --self-test``: prove an installed build works, offline, in under a minute.

Each step is what an analyst's first hour depends on: the desk opens, the demo case
lands in a temporary store, the map draws it from packaged assets, no request leaves the
machine, a case file goes out and comes back in whole, and a report is written. Nothing
touches the user's own store or config: everything lives in a temporary folder that is
removed at the end. Prints one line per step and exits 0, or 1 naming what failed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

MAP_TIMEOUT_S = 60.0


class StepFailed(Exception):
    """A self-test step did not hold; the message says what was seen."""


def _wait_until(app: Any, condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    app.processEvents()
    return condition()


def seconds_since_process_start() -> float | None:
    """Wall time since this process was started (Linux), bootloader and imports included."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def run_self_test(out: TextIO = sys.stdout, screenshot: Path | None = None) -> int:
    """Run every step; 0 when all held, 1 otherwise. ``screenshot``: save the desk there."""
    # Before Qt loads: no display needed, and nothing of the user's is read or written.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    workdir = Path(tempfile.mkdtemp(prefix="evidence-selftest-"))
    os.environ["EVIDENCE_APP_CONFIG"] = str(workdir / "config")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if os.environ["QT_QPA_PLATFORM"] == "offscreen" and "--disable-gpu" not in flags.split():
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --disable-gpu").strip()

    from PySide6.QtCore import QCoreApplication, QEvent, QSettings

    from evidence_app import __version__
    from evidence_app.services import casefiles, demo
    from evidence_app.services.context import Context
    from evidence_app.services.map_data import CaseMap
    from evidence_app.services.verify import verify_store
    from evidence_app.storage.db import open_store
    from evidence_app.ui.app import prepare_application
    from evidence_app.ui.main_window import MainWindow

    failures: list[str] = []
    state: dict[str, Any] = {}

    def step(name: str, body: Callable[[], str]) -> None:
        started = time.monotonic()
        try:
            detail = body()
        except StepFailed as exc:
            failures.append(name)
            print(f"FAIL {name}: {exc}", file=out, flush=True)
        except Exception as exc:  # a self-test reports every failure, bugs included
            failures.append(name)
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", file=out, flush=True)
            traceback.print_exc(file=sys.stderr)
        else:
            print(f"ok   {name}: {detail} ({time.monotonic() - started:.1f} s)", file=out, flush=True)

    print(f"Evidence Review {__version__} self-test in {workdir}", file=out, flush=True)
    app = prepare_application([sys.argv[0] if sys.argv else "evidence-app"])
    store = open_store(workdir / "store.sqlite")
    ctx = Context(store, "self-test")
    window = None
    other = None
    try:

        def demo_case() -> str:
            (workdir / "demo").mkdir()
            state["case"] = demo.create_demo_case(ctx, workdir / "demo")
            return "demo case created in a temporary store"

        step("store", demo_case)

        def open_window() -> str:
            nonlocal window
            # Its own settings and log, so the user's window layout and log stay untouched.
            settings = QSettings(str(workdir / "desk.ini"), QSettings.Format.IniFormat)
            window = MainWindow(ctx, case_map=CaseMap(ctx), settings=settings, log_path=workdir / "desk.log")
            window.resize(1280, 800)
            window.show()
            if window.desk_map is None:
                raise StepFailed("the desk has no map (QtWebEngine missing from the build?)")
            seen: list[dict[str, Any]] = []
            window.desk_map.view.layersReady.connect(seen.append)
            state["layers"] = seen
            shown_at = seconds_since_process_start()
            if not _wait_until(app, lambda: window.list_panel.model.rowCount() > 0, 30):
                raise StepFailed("the incident list stayed empty")
            # On a real display (xcb, wayland) the window must be mapped by the display server,
            # not only drawn into a buffer: that is what a missing platform library breaks.
            if not _wait_until(
                app, lambda: window.windowHandle() is not None and window.windowHandle().isExposed(), 30
            ):
                raise StepFailed(f"the window was never shown on the {app.platformName()} display")
            started = f", shown {shown_at:.2f} s after the process started" if shown_at is not None else ""
            rows = window.list_panel.model.rowCount()
            return f"main window open on platform {app.platformName()}, {rows} incidents listed{started}"

        step("window", open_window)

        def map_drawn() -> str:
            if window is None:
                raise StepFailed("no window")
            seen = state["layers"]

            def drawn() -> bool:
                return bool(seen) and seen[-1].get("counts", {}).get("incidents", 0) > 0

            if not _wait_until(app, drawn, MAP_TIMEOUT_S):
                got = seen[-1].get("counts") if seen else "no layers reported"
                view = window.desk_map.view
                console = list(getattr(view.page(), "console", []))[-5:]
                served = list(view.guard.seen)[-8:]
                raise StepFailed(
                    f"{_asset_problems(served)}"
                    f"the map drew no incidents within {MAP_TIMEOUT_S:.0f} s ({got}); "
                    f"page said: {console or 'nothing'}; requests: {served}"
                )
            counts = seen[-1]["counts"]
            if counts.get("land", 0) <= 0:
                raise StepFailed(f"the basemap drew no land ({counts})")
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                if not window.grab().save(str(screenshot)):
                    raise StepFailed(f"could not save the screenshot to {screenshot}")
            return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))

        step("map", map_drawn)

        def offline() -> str:
            if window is None or window.desk_map is None:
                raise StepFailed("no map")
            guard = window.desk_map.view.guard
            if not guard.seen:
                raise StepFailed("the request guard saw no request at all: it is not wired")
            if guard.blocked:
                raise StepFailed(f"{len(guard.blocked)} request(s) left the app's scheme, first {guard.blocked[0]}")
            return f"{len(guard.seen)} map requests, all served locally, none blocked"

        step("offline", offline)

        def case_file_round_trip() -> str:
            nonlocal other
            path = workdir / "demo.evcase"
            casefiles.export_case(ctx, state["case"], path)
            other = open_store(workdir / "other.sqlite")
            report = casefiles.import_case(Context(other, "self-test"), path)
            problems = [p for s in (store, other) for p in verify_store(s).problems]
            if problems:
                raise StepFailed(f"verify found: {problems[0]}")
            size = path.stat().st_size
            return f"exported {size / 1e6:.1f} MB, imported into a fresh store ({_summary(report)}), verify ok"

        step("case file", case_file_round_trip)

        def report() -> str:
            path = workdir / "report.pdf"
            casefiles.export_report(ctx, state["case"], path, fmt="pdf")
            head = path.read_bytes()[:5]
            if head != b"%PDF-":
                raise StepFailed(f"the report does not start like a PDF ({head!r})")
            return f"PDF report written, {path.stat().st_size / 1e3:.0f} kB"

        step("report", report)
    finally:
        if window is not None:
            window.close()
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        store.close()
        if other is not None:
            other.close()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)

    if failures:
        print(f"self-test FAILED: {', '.join(failures)}", file=out, flush=True)
        return 1
    print("self-test passed", file=out, flush=True)
    return 0


def _summary(report: Any) -> str:
    added = getattr(report, "added", None) or {}
    parts = [f"{n} {kind}" for kind, n in sorted(dict(added).items())]
    return "added " + ", ".join(parts) if parts else "nothing new"


def _asset_problems(urls: list[str]) -> str:
    """Which of the page's assets the app itself cannot serve (a build missing a data file)."""
    from urllib.parse import urlsplit

    from evidence_app.mapview.assets import asset_roots, read_asset

    problems = []
    for address in urls:
        path = urlsplit(address).path
        if not path.startswith("/assets/"):
            continue
        try:
            found = read_asset(path)
        except Exception as exc:  # the diagnosis must not hide the failure it explains
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        if found is None or not found.body:
            problems.append(f"{path}: not served (roots {asset_roots()})")
    return "assets missing: " + "; ".join(problems) + "; " if problems else ""
