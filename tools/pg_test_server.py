"""A throw-away PostgreSQL server for the test run: initdb into a temporary folder, Unix socket only.

Used by the test suite (tests/conftest.py starts one per run when a test needs it) and by
hand: ``python tools/pg_test_server.py`` starts one, prints its URL and stops it on Enter.

PostgreSQL refuses to run as root; under root the server runs as the ``postgres`` system
user (created by the Debian package) through ``runuser``. It listens on no TCP port at
all, only on a socket in its own folder, trusts local connections (there is no other
way in) and skips fsync: its data is thrown away with the folder when the run ends.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUPERUSER = "postgres"


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl (Debian keeps them out of PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL is not installed (no initdb): run tools/ensure-system-packages.sh")


class PgTestServer:
    """One server in a temporary folder; ``start()``, ``url(db)``, ``restart()``, ``stop()``."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="evidence-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder
        self.log = self.folder / "server.log"
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self.running = False

    def _pg(self, tool: str, *args: str) -> None:
        cmd = [*self._run_as, str(self.bindir / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> PgTestServer:
        if not self.data.exists():
            self._pg(
                "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"
            )
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self.running = True
        self._watch_owner()
        return self

    def _watch_owner(self) -> None:
        """Stop the server and remove its folder even if this process is killed (SIGKILL skips cleanup)."""
        stop = [*self._run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        script = (
            "import os, shutil, subprocess, sys, time\n"
            "owner = int(sys.argv[1])\n"
            "while True:\n"
            "    time.sleep(1)\n"
            "    try:\n"
            "        os.kill(owner, 0)\n"
            "    except ProcessLookupError:\n"
            "        break\n"
            "    if not os.path.exists(sys.argv[2]):\n"
            "        sys.exit(0)\n"
            "subprocess.run(sys.argv[4:], capture_output=True)\n"
            "shutil.rmtree(sys.argv[3], ignore_errors=True)\n"
        )
        pid_file = self.data / "postmaster.pid"
        subprocess.Popen(
            [sys.executable, "-c", script, str(os.getpid()), str(pid_file), str(self.folder), *stop],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        """A SQLAlchemy URL for ``database`` as ``user`` over the server's socket."""
        return f"postgresql+psycopg://{user}@/{database}?host={self.socket_dir}"

    def close(self) -> None:
        """Stop the server (immediately) and remove its folder; safe to call twice."""
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> int:
    server = PgTestServer().start()
    try:
        print(server.url())
        print("press Enter to stop", file=sys.stderr)
        with contextlib.suppress(EOFError, KeyboardInterrupt):
            input()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
