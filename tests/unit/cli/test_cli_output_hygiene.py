"""What reaches the terminal: nothing but the output when the reader stops early (`| head`), and
no library warning (they go to the log)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "EVIDENCE_APP_DB": str(tmp_path / "store.sqlite"),
    }


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "evidence_app", "case", "create", "A case"], env=env, check=True, capture_output=True
    )
    # `evidence-app --help`-sized output is too small to fill a pipe; closing the read end
    # before the program writes makes its first write fail, as `| head -0` would.
    proc = subprocess.Popen(
        [sys.executable, "-m", "evidence_app", "--json", "case", "list"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert proc.returncode == 141


def test_library_warnings_go_to_the_log_not_the_terminal(tmp_path: Path) -> None:
    env = _env(tmp_path)
    script = textwrap.dedent("""
        import sys, warnings
        import evidence_app.cli.core as core
        from evidence_app.cli import main

        listing = core.case_list

        def noisy(args, ctx):
            from PIL import Image
            warnings.warn("Image size (200000000 pixels) exceeds limit", Image.DecompressionBombWarning)
            return listing(args, ctx)

        core.case_list = noisy
        sys.exit(main(["case", "list"]))
    """)
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    # The log lives beside the store in use (EVIDENCE_APP_DB here), not in the default data folder.
    assert not (tmp_path / "xdg" / "evidence-review" / "logs").exists()
    log = (tmp_path / "logs" / "evidence-app.log").read_text()
    assert "DecompressionBombWarning" in log and "exceeds limit" in log
