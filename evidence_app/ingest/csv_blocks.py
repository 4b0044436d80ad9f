"""Large CSV files read block by block: plain blocks column-wise with numpy, the rest row by row.

A CSV of millions of rows costs far more to split into Python strings than to read. Here
the bytes are cut into blocks of whole lines; a block without quotes, NULs, blank lines
or stray carriage returns is handed to numpy's C tokenizer and number parser
(``np.loadtxt``), which gives one typed column per wanted field. A block numpy refuses
(a short row, a word in a number column) is halved until the offending lines are
isolated, and those few lines go to ``csv.reader`` (``row_lines``), so odd rows cost what
they always did and ordinary rows cost a fraction of it.

Line numbers are physical lines counted from 1 (the header), as ``csv.reader`` counts them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING

from evidence_app.domain.errors import UserError

if TYPE_CHECKING:
    import numpy as np

BLOCK_BYTES = 4 * 1024 * 1024
# A carried-over remainder larger than this is cut at a newline even inside a quoted field:
# unbalanced quotes must not make us read a whole file into memory.
MAX_PENDING = 64 * 1024 * 1024
# Blocks numpy refuses are halved down to this many lines; smaller ones are read row by row.
MIN_SPLIT_LINES = 64
_BOM = b"\xef\xbb\xbf"


def _read(stream: IO[str] | IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if isinstance(data, str):
        # Text streams (tests, callers that decoded already): back to UTF-8, lone surrogates kept
        # as bytes that later decode to U+FFFD.
        return data.encode("utf-8", "surrogatepass")
    return data


def read_header(stream: IO[str] | IO[bytes], file: str) -> tuple[list[str], bytes]:
    """The header row (csv-parsed) and the bytes already read past it."""
    buffer = b""
    while b"\n" not in buffer:
        data = _read(stream, 64 * 1024)
        if not data:
            break
        buffer += data
    if buffer.startswith(_BOM):
        buffer = buffer[len(_BOM) :]
    line, _newline, rest = buffer.partition(b"\n")
    if not line.strip():
        raise UserError("the file is empty: expected a CSV header row", location=file)
    try:
        header = next(csv.reader([line.decode("utf-8", "replace")]))
    except (csv.Error, StopIteration) as exc:
        raise UserError(f"the header row is not valid CSV ({exc})", location=f"{file}:1") from exc
    return header, rest


def _quote_safe_cut(block: bytes, limit: int) -> int:
    """Offset just past the last newline before ``limit`` that is not inside a quoted field; 0 if none.

    Counts quote characters (an even count before a newline means outside quotes), the
    way well-formed CSV balances them.
    """
    cut = block.rfind(b"\n", 0, limit) + 1
    if b'"' not in block[:cut]:
        return cut
    import numpy as np

    raw = np.frombuffer(block, np.uint8, count=cut)
    quotes = np.flatnonzero(raw == 34)
    newlines = np.flatnonzero(raw == 10)
    outside = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    return int(outside[-1]) + 1 if len(outside) else 0


def line_blocks(
    stream: IO[str] | IO[bytes], first: bytes, block_bytes: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """``(line number of the first line, bytes of whole lines)`` for the rest of the file.

    ``first`` is what ``read_header`` read past the header. Each block ends with a newline
    (one is added at the end of a file without one) and never inside a quoted field.
    """
    block_bytes = block_bytes or BLOCK_BYTES
    line = 2
    pending = first
    while True:
        data = _read(stream, block_bytes)
        if data:
            pending += data
            if len(pending) < block_bytes:
                continue
            cut = _quote_safe_cut(pending, len(pending))
            if cut == 0 and len(pending) > MAX_PENDING:
                cut = pending.rfind(b"\n") + 1
            if cut == 0:
                continue
        else:
            if not pending:
                return
            cut = len(pending)
            if not pending.endswith(b"\n"):
                pending += b"\n"
                cut += 1
        block, pending = pending[:cut], pending[cut:]
        yield line, block
        line += block.count(b"\n")


# What an empty field becomes before numpy reads a block: infinity in a number column
# (numpy refuses empty numbers), and a value no plain block holds otherwise.
EMPTY = b"9e999"


def is_plain(block: bytes) -> bool:
    """True when numpy's tokenizer may read the block as csv.reader would (``read_columns``
    checks the rest: numpy skips blank lines, which it notices by counting rows)."""
    if b'"' in block or b"\x00" in block or EMPTY in block:
        return False
    return b"\r" not in block or block.count(b"\r") == block.count(b"\r\n")


def halves(block: bytes) -> tuple[bytes, bytes] | None:
    """The block cut at a newline near its middle (outside quotes), or None when it is too small."""
    if block.count(b"\n") <= MIN_SPLIT_LINES:
        return None
    cut = _quote_safe_cut(block, len(block) // 2)
    if cut == 0 or cut >= len(block):
        return None
    return block[:cut], block[cut:]


def read_columns(block: bytes, columns: Sequence[int], dtypes: Sequence[str]) -> np.ndarray | None:
    """The wanted columns of a plain block as a record array (fields ``f0``, ``f1``... of the
    given numpy types), or None when numpy refuses a line (too few columns, not a number...).

    Empty fields read as ``EMPTY``: infinity in a float column, those bytes in a bytes
    column. A bytes value as wide as its field may have been cut short: callers treat it
    as odd.
    """
    import numpy as np

    if b"," not in block:
        return None  # blank lines only (numpy would warn), or a one-column file
    lines = block.count(b"\n")
    for _ in range(2):  # twice: ",,," holds two empty fields that overlap
        if b",," in block:
            block = block.replace(b",,", b"," + EMPTY + b",")
    if b",\n" in block:
        block = block.replace(b",\n", b"," + EMPTY + b"\n")
    if b"\r" in block and b",\r\n" in block:
        block = block.replace(b",\r\n", b"," + EMPTY + b"\r\n")
    dtype = np.dtype([(f"f{i}", t) for i, t in enumerate(dtypes)])
    try:
        # latin-1 maps each byte to itself, so bytes come back exactly as they were.
        table = np.loadtxt(
            io.BytesIO(block),
            delimiter=",",
            dtype=dtype,
            usecols=tuple(columns),
            comments=None,
            quotechar=None,
            encoding="latin1",
            ndmin=1,
        )
    except ValueError:
        return None
    return table if len(table) == lines else None  # numpy skipped blank lines: line numbers would shift


def row_lines(block: bytes) -> list[str]:
    """The block as text lines for ``csv.reader`` (which then counts physical lines)."""
    text = block.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line + "\n" for line in lines]
