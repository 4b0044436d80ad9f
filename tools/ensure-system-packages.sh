#!/usr/bin/env bash
# Install the Debian packages the test suite needs when they are missing.
# Each line: a command or shared library that must exist, and the package providing it.
set -euo pipefail
need=()
check_cmd() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
check_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || need+=("$2"); }
check_cmd pdftoppm poppler-utils          # renders exported PDF reports to PNG in tests
check_cmd sqlite3 sqlite3                  # the AIS import benchmark's baseline
check_lib libnss3.so libnss3               # QtWebEngine (the map)
check_lib libxkbcommon.so.0 libxkbcommon0  # Qt's offscreen platform
check_lib libEGL.so.1 libegl1
check_lib libfontconfig.so.1 libfontconfig1
check_lib libxshmfence.so.1 libxshmfence1
check_lib libxkbfile.so.1 libxkbfile1
check_cmd fc-list fonts-dejavu-core
check_cmd desktop-file-validate desktop-file-utils  # validates the .desktop entry (tests/unit/test_desktop_metadata.py)
check_cmd appstreamcli appstream                   # validates the AppStream metainfo
check_cmd unshare util-linux                       # the frozen self-test runs without a network (make package-test)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing system packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
