#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the app (and, with "test", the test suite) needs when missing.
#   tools/ensure-system-packages.sh run    what the desk needs to start on a bare desktop (make run)
#   tools/ensure-system-packages.sh [test] that plus the tools the tests use (make test)
# Each line: a command or shared library that must exist, and the package providing it.
set -euo pipefail
mode="${1:-test}"
need=()
check_cmd() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
# Not `grep -q`: it stops reading early, ldconfig dies of SIGPIPE, and pipefail then reports
# a library that is present as missing (a random reinstall on every run).
check_lib() { ldconfig -p 2>/dev/null | grep -F "$1" >/dev/null || need+=("$2"); }

# --- the desk itself ---
check_lib libnss3.so libnss3               # QtWebEngine (the map)
check_lib libxkbcommon.so.0 libxkbcommon0  # Qt's offscreen and xcb platforms
check_lib libEGL.so.1 libegl1
check_lib libGL.so.1 libgl1
check_lib libfontconfig.so.1 libfontconfig1
check_lib libxshmfence.so.1 libxshmfence1
check_lib libxkbfile.so.1 libxkbfile1
check_lib libdbus-1.so.3 libdbus-1-3
check_cmd fc-list fonts-dejavu-core
# Qt's xcb platform (an X11 desktop): `ldd` of PySide6's libqxcb.so and libQt6XcbQpa.so.6
# names these; without one of them the desk does not start ("could not load the Qt platform
# plugin xcb").
check_lib libX11-xcb.so.1 libx11-xcb1
check_lib libxcb-cursor.so.0 libxcb-cursor0
check_lib libxcb-icccm.so.4 libxcb-icccm4
check_lib libxcb-image.so.0 libxcb-image0
check_lib libxcb-keysyms.so.1 libxcb-keysyms1
check_lib libxcb-randr.so.0 libxcb-randr0
check_lib libxcb-render-util.so.0 libxcb-render-util0
check_lib libxcb-shape.so.0 libxcb-shape0
check_lib libxcb-xkb.so.1 libxcb-xkb1
check_lib libxkbcommon-x11.so.0 libxkbcommon-x11-0

if [ "$mode" != run ]; then
  # --- the test suite ---
  check_cmd pdftoppm poppler-utils          # renders exported PDF reports to PNG in tests
  check_cmd sqlite3 sqlite3                  # the AIS import benchmark's baseline
  check_cmd Xvfb xvfb                        # the desk started on the xcb platform (tests/gui/test_xcb_start.py)
  check_cmd desktop-file-validate desktop-file-utils  # validates the .desktop entry (tests/unit/test_desktop_metadata.py)
  check_cmd appstreamcli appstream                   # validates the AppStream metainfo
  check_cmd unshare util-linux                       # the frozen self-test runs without a network (make package-test)
  # A throw-away PostgreSQL server for the store suites on the second backend (tools/pg_test_server.py);
  # Debian keeps initdb out of PATH, in /usr/lib/postgresql/<version>/bin.
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing system packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
