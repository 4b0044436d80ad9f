"""One entry point for AIS files of any supported format (and .gz / .zip around them)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.ingest.ais_csv import read_ais_csv
from evidence_app.ingest.ais_nmea import read_ais_nmea
from evidence_app.ingest.parsed import IdentityAccumulator, PositionBatch, Tally
from evidence_app.ingest.sources import head, members, open_binary, sniff_ais_format

AIS_FORMATS = ("auto", "marinecadastre", "nmea", "csv")


def read_ais_file(
    path: str | Path,
    tally: Tally,
    identities: IdentityAccumulator,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    base_time: int | None = None,
    day_first: bool = True,
    chunk_size: int = 50_000,
    display: str | None = None,
) -> Iterator[PositionBatch]:
    """Yield batches of positions from every logical file in ``path``.

    ``base_time`` (UTC epoch seconds) dates NMEA messages that carry no time of their own.
    File-level problems raise UserError; row-level ones are counted in ``tally``.
    ``display`` is the original name when ``path`` is the stored copy of the file.
    """
    if fmt not in AIS_FORMATS:
        raise UserError(f"unknown AIS format {fmt!r}; expected one of {', '.join(AIS_FORMATS)}")
    for member in members(path, display):
        member_fmt = sniff_ais_format(head(member), member.name) if fmt == "auto" else fmt
        if member_fmt == "nmea":
            with open_binary(member) as raw:
                for rows in read_ais_nmea(raw, member.name, tally, identities, base_time, chunk_size):
                    yield PositionBatch.from_rows(rows)
        else:
            # MarineCadastre is a CSV whose headers the generic reader recognises. Bytes, not
            # text: the reader decodes only the few fields that are text.
            with open_binary(member) as raw:
                yield from read_ais_csv(raw, member.name, tally, identities, mapping, day_first, chunk_size)


def read_ais_file_in_child(
    path: str | Path,
    tally: Tally,
    identities: IdentityAccumulator,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    base_time: int | None = None,
    day_first: bool = True,
    chunk_size: int = 50_000,
    display: str | None = None,
) -> Iterator[PositionBatch]:
    """``read_ais_file`` run in a child Python process, so reading overlaps with what the
    caller does with each batch (writing it to the database) on another core.

    Same batches, same counts and identities (copied into ``tally`` and ``identities`` at
    the end), same UserErrors. Closing the generator early (cancel, a failed write) stops
    the child; a parent that dies takes the child with it (its next write finds the pipe
    broken). A frozen application has no interpreter to start: it reads in-process.
    """
    import os
    import pickle
    import queue
    import subprocess
    import sys
    import threading

    if getattr(sys, "frozen", False):
        yield from read_ais_file(path, tally, identities, fmt, mapping, base_time, day_first, chunk_size, display)
        return
    # A plain interpreter running this module, rather than multiprocessing: spawning would
    # re-import the caller's main script, which scripts and tools do not all guard.
    request = pickle.dumps((str(path), fmt, dict(mapping or {}), base_time, day_first, chunk_size, display))
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen(
        [sys.executable, "-m", "evidence_app.ingest.ais", request.hex()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    stdout = child.stdout
    # A thread takes the child's messages off the pipe as they come, so the child reads on
    # while we write; the bounded queue keeps it at most a few batches ahead.
    messages: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)

    def receive() -> None:
        try:
            while True:
                message = pickle.load(stdout)
                messages.put(message)
                if message[0] != "batch":
                    return
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            messages.put(("gone", None))

    receiver = threading.Thread(target=receive, name="ais-reader-pipe", daemon=True)
    receiver.start()
    try:
        while True:
            kind, payload = messages.get()
            if kind == "gone":
                raise UserError("the AIS reader process stopped unexpectedly", location=display or Path(path).name)
            if kind == "batch":
                yield payload
            elif kind == "done":
                child_tally, child_identities = payload
                tally.merge(child_tally)
                identities.merge(child_identities)
                return
            elif kind == "refused":
                message, location = payload
                raise UserError(message, location=location)
            else:
                raise RuntimeError(f"the AIS reader process failed:\n{payload}")
    finally:
        if child.poll() is None:
            child.terminate()
        child.wait()
        while receiver.is_alive():  # let it see the end of the pipe, even with the queue full
            try:
                messages.get(timeout=0.1)
            except queue.Empty:
                pass
        stdout.close()


def _child_main(request_hex: str) -> None:
    """The child's side of ``read_ais_file_in_child``: pickled (kind, payload) pairs on stdout."""
    import pickle
    import sys
    import traceback

    path, fmt, mapping, base_time, day_first, chunk_size, display = pickle.loads(bytes.fromhex(request_hex))
    out = sys.stdout.buffer
    tally, identities = Tally(), IdentityAccumulator()
    try:
        try:
            for batch in read_ais_file(
                path, tally, identities, fmt, mapping, base_time, day_first, chunk_size, display
            ):
                pickle.dump(("batch", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
                out.flush()  # all of it now: the parent writes this batch while we read the next
            message: tuple[str, Any] = ("done", (tally, identities))
        except UserError as exc:
            message = ("refused", (exc.message, exc.location))
        except Exception:
            message = ("failed", traceback.format_exc())
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped listening: nothing left to do


if __name__ == "__main__":
    import sys

    _child_main(sys.argv[1])
